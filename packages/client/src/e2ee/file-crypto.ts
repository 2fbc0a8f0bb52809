// Files of encrypted conversations (protocol §6.15 "Encrypted files"): each file is encrypted before upload with its
// own random AES-256-GCM key and nonce (WebCrypto `crypto.subtle`, in Node 20 and browsers); key, nonce and the
// plaintext's SHA-256 travel inside the MLS message. No cryptographic primitive is written here.

import { ParleyError } from "../errors.js";

/** The first bytes of every encrypted upload (also the GCM additional data): no file-type signature starts so. */
export const FILE_MAGIC: Uint8Array<ArrayBuffer> = new TextEncoder().encode("PRLYE2E1");

export interface SealedFile {
  /** What is uploaded: the magic, then the AES-GCM ciphertext with its tag. */
  blob: Uint8Array;
  key: Uint8Array;
  iv: Uint8Array;
  /** SHA-256 of the plaintext. */
  sha256: Uint8Array;
}

/** A copy on its own ArrayBuffer (what WebCrypto's types ask for). */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

const subtle = () => {
  if (globalThis.crypto?.subtle === undefined)
    throw new ParleyError("not_supported", "WebCrypto (crypto.subtle) is not available");
  return globalThis.crypto.subtle;
};

/** Encrypts `data` with a fresh random key and nonce. */
export async function sealFile(input: Uint8Array): Promise<SealedFile> {
  const data = own(input);
  const key = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cryptoKey = await subtle().importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  const sealed = new Uint8Array(await subtle().encrypt({ name: "AES-GCM", iv, additionalData: FILE_MAGIC }, cryptoKey, data));
  const blob = new Uint8Array(FILE_MAGIC.length + sealed.length);
  blob.set(FILE_MAGIC);
  blob.set(sealed, FILE_MAGIC.length);
  const sha256 = new Uint8Array(await subtle().digest("SHA-256", data));
  return { blob, key, iv, sha256 };
}

/** The plaintext of a downloaded blob; `bad_response` when it was changed or is not the file the message names. */
export async function openFile(
  blob: Uint8Array,
  file: { key: Uint8Array; iv: Uint8Array; sha256: Uint8Array; size: number },
): Promise<Uint8Array> {
  const magic = blob.subarray(0, FILE_MAGIC.length);
  if (magic.length !== FILE_MAGIC.length || magic.some((b, i) => b !== FILE_MAGIC[i])) {
    throw new ParleyError("bad_response", "The download is not an encrypted Parley file");
  }
  const cryptoKey = await subtle().importKey("raw", own(file.key), "AES-GCM", false, ["decrypt"]);
  let plain: Uint8Array<ArrayBuffer>;
  try {
    plain = new Uint8Array(
      await subtle().decrypt(
        { name: "AES-GCM", iv: own(file.iv), additionalData: FILE_MAGIC },
        cryptoKey,
        own(blob.subarray(FILE_MAGIC.length)),
      ),
    );
  } catch (error) {
    throw new ParleyError("bad_response", `The encrypted file does not open with its key (${String(error)})`);
  }
  const digest = new Uint8Array(await subtle().digest("SHA-256", plain));
  if (plain.length !== file.size || digest.some((b, i) => b !== file.sha256[i])) {
    throw new ParleyError("bad_response", "The decrypted file is not the one the message names (size or digest differ)");
  }
  return plain;
}
