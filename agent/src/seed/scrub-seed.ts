import { renameSync } from "node:fs";
import { isMap, isScalar, parseDocument, visit } from "yaml";
import { writeFileAtomic } from "../config/atomic-write.js";

/** What replaces a secret value on the boot partition (provisioning/README.md, "Scrub the FAT copy"). */
export const MOVED = "<moved to /etc/clawbox>";

/** Keys whose values are secrets: `psk`, `passwordHash`, and any key containing token, secret or password. */
export function isSecretKey(key: string): boolean {
  return key === "psk" || key === "passwordHash" || /token|secret|password/i.test(key);
}

/**
 * The seed's YAML `text` with every secret scalar value (isSecretKey) replaced by MOVED; comments, order
 * and every other value stay, so the owner can still read what was applied.
 */
export function scrubSeedText(text: string): string {
  const doc = parseDocument(text);
  visit(doc, {
    Pair(_key, pair) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (isSecretKey(k) && isScalar(pair.value) && pair.value.value !== MOVED) {
        pair.value = doc.createNode(MOVED);
      } else if (isSecretKey(k) && pair.value && !isScalar(pair.value) && !isMap(pair.value)) {
        pair.value = doc.createNode(MOVED);
      }
    },
  });
  return doc.toString();
}

/**
 * Scrubs the seed file in place (scrubSeedText, written atomically and fsynced) and then renames it to
 * `<file>.applied`, which first boot does not import again. Returns the new path. Throws the fs error.
 * Order matters on FAT (no permissions): the secrets are gone from the disk before the name changes.
 */
export function scrubAndRetire(file: string, text: string): string {
  writeFileAtomic(file, scrubSeedText(text));
  const applied = `${file}.applied`;
  renameSync(file, applied);
  return applied;
}
