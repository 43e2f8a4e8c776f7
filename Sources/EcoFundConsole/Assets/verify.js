// Checks an audit event's inclusion proof in the browser, trusting nothing the server computed: the leaf hash from
// the event's canonical bytes (SHA-256 of 0x00 ‖ bytes, RFC 6962), the tree's root from the audit path (RFC 9162
// §2.1.3.2), and the checkpoint's Ed25519 signature over its RFC 8785 bytes, against the key in the field (the one
// the auditor holds). The page says "verified" or which step failed. No framework; the page works without it.
"use strict";

(function () {
  const section = document.getElementById("verify");
  if (!section) return;
  const result = document.getElementById("verify-result");
  const steps = document.getElementById("verify-steps");
  const keyField = document.getElementById("published-key");
  const text = (name) => section.dataset["text" + name] || name;

  function hexToBytes(hex) {
    if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error("not hex: " + hex);
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    return bytes;
  }
  const toHex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  function base64ToBytes(text) {
    const plain = atob(text.trim());
    return Uint8Array.from(plain, (c) => c.charCodeAt(0));
  }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const leafHash = (bytes) => sha256(concat(Uint8Array.of(0), bytes));
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

  // RFC 9162 §2.1.3.2: the root the audit path leads to from leaf `index` of a tree of `size` leaves.
  async function rootFromProof(index, size, leaf, proof) {
    if (index >= size) return null;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  function step(ok, message) {
    const item = document.createElement("li");
    item.className = ok ? "ok" : "failed";
    item.textContent = (ok ? "✓ " : "✗ ") + message;
    steps.appendChild(item);
  }

  async function verify() {
    steps.textContent = "";
    result.className = "verify-result";
    result.textContent = text("Checking");
    const d = section.dataset;
    const fail = (message) => { result.className = "verify-result failed"; result.textContent = message; return false; };
    if (!window.crypto || !crypto.subtle) return fail(text("Unsupported"));
    try {
      const canonical = new TextEncoder().encode(d.canonical);
      const leaf = await leafHash(canonical);
      const leafOK = toHex(leaf) === d.leafHash;
      step(leafOK, "SHA-256(0x00 ‖ event) = " + toHex(leaf));
      if (!leafOK) return fail(text("Leaf"));

      const proof = d.proof ? d.proof.split(",").map(hexToBytes) : [];
      const root = await rootFromProof(Number(d.index), Number(d.treeSize), leaf, proof);
      const rootOK = root !== null && toHex(root) === d.rootHash;
      step(rootOK, "root(" + d.index + " / " + d.treeSize + ", " + proof.length + " hashes) = " + (root ? toHex(root) : "—"));
      if (!rootOK) return fail(text("Root"));

      let key;
      try { key = base64ToBytes(keyField.value); } catch (e) { key = new Uint8Array(0); }
      const keyID = toHex((await sha256(key)).slice(0, 8));
      const keyOK = key.length === 32 && keyID === d.keyId;
      step(keyOK, "keyId = " + keyID);
      if (!keyOK) return fail(text("Key"));

      // The checkpoint's members in RFC 8785 form: keys sorted, no spaces; every value here is ASCII.
      const signed = new TextEncoder().encode(
        "{" + JSON.stringify("issuedAt") + ":" + JSON.stringify(d.issuedAt) + "," + JSON.stringify("keyId") + ":" +
        JSON.stringify(d.keyId) + "," + JSON.stringify("rootHash") + ":" + JSON.stringify(d.rootHash) + "," +
        JSON.stringify("treeSize") + ":" + String(Number(d.treeSize)) + "}");
      let signatureOK = false;
      try {
        const publicKey = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
        signatureOK = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, base64ToBytes(d.signature), signed);
      } catch (e) {
        if (e && e.name === "NotSupportedError") return fail(text("Unsupported"));
        signatureOK = false;
      }
      step(signatureOK, "Ed25519(" + d.keyId + ")");
      if (!signatureOK) return fail(text("Signature"));
      result.className = "verify-result verified";
      result.textContent = text("Verified");
      return true;
    } catch (e) {
      return fail(text("Root") + " (" + e.message + ")");
    }
  }

  document.getElementById("verify-button").addEventListener("click", verify);
  keyField.addEventListener("change", verify);
  verify();
})();
