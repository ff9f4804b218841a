import type { SysReader } from "./sys-reader.js";

/** Raw board identification texts; null when the file is absent. */
export interface BoardInputs {
  /** /proc/device-tree/model (Arm boards: "Raspberry Pi 5 Model B Rev 1.0", "NVIDIA Jetson Orin Nano …"). */
  deviceTreeModel: string | null;
  /** /sys/class/dmi/id/sys_vendor (x86 and ACPI Arm servers). */
  sysVendor: string | null;
  /** /sys/class/dmi/id/product_name. */
  productName: string | null;
  /** /sys/class/dmi/id/board_name. */
  boardName: string | null;
}

/** DMI strings firmware vendors leave unfilled. */
const PLACEHOLDER =
  /^(to be filled by o\.?e\.?m\.?|system product name|system manufacturer|default string|not applicable|none|n\/a|unknown|undefined|oem|o\.e\.m\.|x\.x|\s*)$/i;

/**
 * Board name for a HardwareReport, or null when nothing identifies it. Pure.
 * The device-tree model wins (trailing NUL stripped). Otherwise DMI: product_name, falling back to board_name
 * when the product is a placeholder ("To Be Filled By O.E.M.", "Default string", …), prefixed with sys_vendor
 * when that is meaningful and not already part of the name ("Beelink" + "SER7" → "Beelink SER7").
 */
export function boardName(inputs: BoardInputs): string | null {
  const clean = (s: string | null): string | null => {
    const v = s?.replace(/\0/g, "").replace(/\s+/g, " ").trim() ?? "";
    return PLACEHOLDER.test(v) ? null : v;
  };
  const dt = clean(inputs.deviceTreeModel);
  if (dt) return dt;
  const product = clean(inputs.productName) ?? clean(inputs.boardName);
  if (!product) return null;
  const vendor = clean(inputs.sysVendor);
  if (!vendor || product.toLowerCase().includes(vendor.split(" ")[0]?.toLowerCase() ?? "")) return product;
  return `${vendor} ${product}`;
}

/** Reads BoardInputs in parallel through `sys` (never throws). */
export async function readBoardInputs(sys: SysReader): Promise<BoardInputs> {
  const dmi = "/sys/class/dmi/id";
  const [deviceTreeModel, sysVendor, productName, name] = await Promise.all([
    sys.line("/proc/device-tree/model"),
    sys.line(`${dmi}/sys_vendor`),
    sys.line(`${dmi}/product_name`),
    sys.line(`${dmi}/board_name`),
  ]);
  return { deviceTreeModel, sysVendor, productName, boardName: name };
}
