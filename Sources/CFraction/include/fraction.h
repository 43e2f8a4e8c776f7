#ifndef ECOFUND_FRACTION_H
#define ECOFUND_FRACTION_H

#include <stddef.h>
#include <stdint.h>

/// Writes numerator / denominator in lowest terms as decimal text: "p/q", or "p" when the reduced denominator is 1.
/// Both are magnitudes given as 64-bit words, least significant first; the denominator is not zero. Writes no sign
/// and no terminating NUL. Returns the number of bytes written, or 0 when `capacity` is too small (it never is at
/// fraction_text_capacity(numerator_words, denominator_words)).
///
/// GMP's gcd (Lehmer's algorithm on machine words) is what makes this cheap: the binary gcd of the Swift BigInt
/// package took a quarter of the time of writing a large allocation's derivations.
size_t fraction_write_lowest_terms(const uint64_t *numerator, size_t numerator_words, const uint64_t *denominator,
                                   size_t denominator_words, char *out, size_t capacity);

/// Enough room for any fraction of these sizes: at most 20 decimal digits per word, the slash and GMP's own NUL.
static inline size_t fraction_text_capacity(size_t numerator_words, size_t denominator_words) {
    return 20 * (numerator_words + denominator_words) + 4;
}

#endif
