import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * WeCom (企业微信) callback encryption, as its "加解密方案说明" (developer.work.weixin.qq.com/document/path/90968)
 * defines it — protocol code, written with node:crypto because no maintained library exists on npm
 * (@wecom/crypto 1.0.1 lists no repository or homepage; wechat-crypto 0.0.2 targets the Official Account
 * platform and is unmaintained):
 * - AESKey = Base64(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = the key's first 16 bytes.
 * - Plaintext = 16 random bytes ‖ message length (4 bytes, network order) ‖ message ‖ receiveid (the CorpID
 *   for a self-built app), padded PKCS#7 to a multiple of 32 bytes (WeCom's block size, not AES's 16).
 * - msg_signature = hex SHA1 of the four strings token, timestamp, nonce, ciphertext sorted and joined.
 */
export class WeComCrypto {
  private readonly key: Buffer;

  /** Throws Error when the EncodingAESKey is not 43 characters of Base64 decoding to 32 bytes. */
  constructor(
    private readonly token: string,
    encodingAesKey: string,
    private readonly receiveId: string,
  ) {
    this.key = Buffer.from(`${encodingAesKey}=`, "base64");
    if (encodingAesKey.length !== 43 || this.key.length !== 32) {
      throw new Error("EncodingAESKey must be the 43 characters WeCom shows (32 bytes in Base64)");
    }
  }

  /** msg_signature for a ciphertext (hex SHA1 of the sorted, joined token/timestamp/nonce/ciphertext). */
  signature(timestamp: string, nonce: string, encrypted: string): string {
    return createHash("sha1").update([this.token, timestamp, nonce, encrypted].sort().join("")).digest("hex");
  }

  /** True when `signature` is the msg_signature of these values (constant-time comparison). */
  verify(signature: string, timestamp: string, nonce: string, encrypted: string): boolean {
    const expected = Buffer.from(this.signature(timestamp, nonce, encrypted));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** Encrypts `message` (UTF-8) for this receiveid; Base64 ciphertext. */
  encrypt(message: string): string {
    const body = Buffer.from(message, "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length, 0);
    const plain = Buffer.concat([randomBytes(16), length, body, Buffer.from(this.receiveId, "utf8")]);
    const pad = 32 - (plain.length % 32);
    const cipher = createCipheriv("aes-256-cbc", this.key, this.key.subarray(0, 16)).setAutoPadding(false);
    return Buffer.concat([
      cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])),
      cipher.final(),
    ]).toString("base64");
  }

  /**
   * Decrypts a Base64 ciphertext; returns the message. Throws Error for bad padding, a length beyond the
   * data, or a receiveid other than this one (a message meant for another corp or app).
   */
  decrypt(encrypted: string): string {
    const decipher = createDecipheriv("aes-256-cbc", this.key, this.key.subarray(0, 16)).setAutoPadding(
      false,
    );
    const padded = Buffer.concat([decipher.update(Buffer.from(encrypted, "base64")), decipher.final()]);
    const pad = padded[padded.length - 1] ?? 0;
    if (pad < 1 || pad > 32 || padded.length < 20 + pad) throw new Error("bad padding");
    const plain = padded.subarray(0, padded.length - pad);
    const length = plain.readUInt32BE(16);
    if (20 + length > plain.length) throw new Error("message length beyond the data");
    const receiveId = plain.subarray(20 + length).toString("utf8");
    if (receiveId !== this.receiveId) throw new Error("message for another receiveid");
    return plain.subarray(20, 20 + length).toString("utf8");
  }
}
