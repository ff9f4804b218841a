import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "..", "..");

/** Debian's chromium (apt-get install -y chromium); never a downloaded browser. */
export const CHROMIUM = process.env.CLAWBOX_CHROMIUM ?? "/usr/bin/chromium";

/** Screenshots of each wizard step land here (gitignored). */
export const ARTIFACTS = join(ROOT, "artifacts", "e2e");

/** Builds webui/dist with vite when it is missing (npm run build does it in CI). */
export function ensureWebAppBuilt(): void {
  if (existsSync(join(ROOT, "webui", "dist", "index.html"))) return;
  const vite = join(ROOT, "node_modules", ".bin", "vite");
  const r = spawnSync(vite, ["build", "webui"], { cwd: ROOT, stdio: "pipe", encoding: "utf8" });
  if (r.status !== 0) throw new Error(`vite build webui failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * Launches headless chromium with a fresh, empty user-data dir (playwright's launch uses a temp profile)
 * and the flags that keep it from calling home. Throws with the install command when it is missing.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves a full-page screenshot as artifacts/e2e/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
