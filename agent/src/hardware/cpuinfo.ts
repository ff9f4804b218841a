/** One "processor" block of /proc/cpuinfo, with the fields detection uses. */
export interface CpuinfoProcessor {
  /** Logical CPU id ("processor"). */
  id: number;
  /** "model name" (x86, 32-bit Arm), absent on most arm64 kernels. */
  modelName?: string;
  /** "vendor_id" on x86: "GenuineIntel", "AuthenticAMD". */
  vendorId?: string;
  /** "flags" (x86) or "Features" (Arm), lower-cased. */
  flags: string[];
  /** "CPU implementer" (Arm MIDR), e.g. 0x41 = Arm Ltd. */
  implementer?: number;
  /** "CPU part" (Arm MIDR), e.g. 0xd0b = Cortex-A76. */
  part?: number;
  /** "physical id" (x86 socket). */
  physicalId?: number;
  /** "core id" (x86 core within the socket; SMT siblings share it). */
  coreId?: number;
}

export interface ParsedCpuinfo {
  processors: CpuinfoProcessor[];
  /** Key/values outside processor blocks (Raspberry Pi kernels add "Hardware", "Revision", "Model"). */
  extra: Record<string, string>;
}

/**
 * Parses /proc/cpuinfo text (x86, arm64, 32-bit Arm layouts). Pure: takes the file text, returns its
 * processor blocks in file order. Unknown keys are ignored; numbers in hex ("0x41") or decimal are accepted.
 * Never throws; an empty or foreign text gives no processors.
 */
export function parseCpuinfo(text: string): ParsedCpuinfo {
  const processors: CpuinfoProcessor[] = [];
  const extra: Record<string, string> = {};
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split("\n")) {
      const i = line.indexOf(":");
      if (i < 0) continue;
      fields.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const id = toInt(fields.get("processor"));
    if (id === undefined) {
      for (const [k, v] of fields) extra[k] = v;
      continue;
    }
    const flagText = fields.get("flags") ?? fields.get("features") ?? "";
    const p: CpuinfoProcessor = {
      id,
      flags: flagText
        .toLowerCase()
        .split(/\s+/)
        .filter((f) => f !== ""),
    };
    const modelName = fields.get("model name");
    if (modelName) p.modelName = modelName.replace(/\s+/g, " ");
    const vendorId = fields.get("vendor_id");
    if (vendorId) p.vendorId = vendorId;
    const implementer = toInt(fields.get("cpu implementer"));
    if (implementer !== undefined) p.implementer = implementer;
    const part = toInt(fields.get("cpu part"));
    if (part !== undefined) p.part = part;
    const physicalId = toInt(fields.get("physical id"));
    if (physicalId !== undefined) p.physicalId = physicalId;
    const coreId = toInt(fields.get("core id"));
    if (coreId !== undefined) p.coreId = coreId;
    processors.push(p);
  }
  return { processors, extra };
}

/**
 * Parses a kernel CPU list such as "0-3,8,10-11" (sysfs `online`, `cpus`, `*_list` files) into sorted ids.
 * Returns [] for an empty or malformed text.
 */
export function parseCpuList(text: string | null | undefined): number[] {
  if (!text) return [];
  const ids = new Set<number>();
  for (const part of text.trim().split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let i = from; i <= to && i - from < 4096; i++) ids.add(i);
  }
  return [...ids].sort((a, b) => a - b);
}

function toInt(v: string | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = /^0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v, 16) : Number(v);
  return Number.isInteger(n) ? n : undefined;
}
