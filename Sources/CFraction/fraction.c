#include "fraction.h"

#include <gmp.h>
#include <string.h>

_Static_assert(sizeof(mp_limb_t) == sizeof(uint64_t), "GMP limbs are 64-bit words on the machines we build for");

/// Significant words only: GMP wants no leading zero limbs in a read-only integer.
static size_t significant(const uint64_t *words, size_t count) {
    while (count > 0 && words[count - 1] == 0) count -= 1;
    return count;
}

size_t fraction_write_lowest_terms(const uint64_t *numerator, size_t numerator_words, const uint64_t *denominator,
                                   size_t denominator_words, char *out, size_t capacity) {
    numerator_words = significant(numerator, numerator_words);
    denominator_words = significant(denominator, denominator_words);
    if (denominator_words == 0 || capacity < fraction_text_capacity(numerator_words, denominator_words)) return 0;
    mpz_t p, q, divisor;
    // Read-only views of the caller's words: no copy.
    mpz_roinit_n(p, (const mp_limb_t *)numerator, (mp_size_t)numerator_words);
    mpz_roinit_n(q, (const mp_limb_t *)denominator, (mp_size_t)denominator_words);
    mpz_init(divisor);
    mpz_gcd(divisor, p, q);
    mpz_t reducedP, reducedQ;
    mpz_init(reducedP);
    mpz_init(reducedQ);
    mpz_divexact(reducedP, p, divisor);
    mpz_divexact(reducedQ, q, divisor);
    mpz_get_str(out, 10, reducedP);
    size_t length = strlen(out);
    if (mpz_cmp_ui(reducedQ, 1) != 0) {
        out[length++] = '/';
        mpz_get_str(out + length, 10, reducedQ);
        length += strlen(out + length);
    }
    mpz_clear(divisor);
    mpz_clear(reducedP);
    mpz_clear(reducedQ);
    return length;
}
