import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { explain, run } from "./tools.js";

/** Bytes per sector in the test image's GPT (image/build-test-image.sh uses sgdisk's 512-byte default). */
const SECTOR = 512;

/**
 * Puts `text` as `/<name>` on the ESP (partition 1) of a fresh qcow2 `overlay` whose backing file is the
 * raw `image`, as an owner copies clawbox.yaml onto the EFI partition after flashing: the ESP is read
 * from the raw image (partx finds it), changed with mtools (no loop device or vfat module needed) and
 * written into the overlay at the partition's offset with qemu-io; the raw image is never written.
 * Throws with the failing tool's output.
 */
export function writeEspFile(image: string, overlay: string, name: string, text: string): void {
  const p = run("partx", ["-g", "-o", "START,SECTORS", "--nr", "1", image]);
  const [start, sectors] = p.stdout.trim().split(/\s+/).map(Number);
  if (p.code !== 0 || !start || !sectors) throw new Error(`partx found no ESP in ${image}: ${explain(p)}`);
  const dir = mkdtempSync(join(tmpdir(), "clawbox-esp-"));
  try {
    const esp = join(dir, "esp.img");
    const src = join(dir, name);
    writeFileSync(src, text);
    const steps: [string, string[]][] = [
      [
        "dd",
        [`if=${image}`, `of=${esp}`, `bs=${SECTOR}`, `skip=${start}`, `count=${sectors}`, "status=none"],
      ],
      ["mcopy", ["-o", "-i", esp, src, `::/${name}`]],
      ["qemu-io", ["-f", "qcow2", "-c", `write -q -s ${esp} ${start * SECTOR} ${sectors * SECTOR}`, overlay]],
    ];
    for (const [cmd, args] of steps) {
      const r = run(cmd, args);
      if (r.code !== 0) throw new Error(`${cmd} failed: ${explain(r)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
