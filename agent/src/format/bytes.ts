import prettyBytes from "pretty-bytes";

/**
 * The two ways clawbox shows a number of bytes to people, everywhere (CLI, dashboard, fleet table):
 * - memory (RAM, VRAM, KV cache, budgets) in IEC binary units, "7.6 GiB", as the kernel and `free -h` count it;
 * - files, downloads and disks in SI decimal units, "4.68 GB", as Hugging Face lists model files and
 *   drives are labelled, so a model's size and the free disk it needs compare directly.
 * Both use pretty-bytes (3 significant digits).
 */
export function formatMemory(bytes: number): string {
  return prettyBytes(bytes, { binary: true });
}

/** Size of a file, a download, a transfer rate's bytes or free disk, in SI units ("986 MB", "4.68 GB"). */
export function formatFileSize(bytes: number): string {
  return prettyBytes(bytes);
}
