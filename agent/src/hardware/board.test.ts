import { describe, expect, it } from "vitest";
import { boardName } from "./board.js";
import { parseOsRelease } from "./os-release.js";

const none = { deviceTreeModel: null, sysVendor: null, productName: null, boardName: null };

describe("boardName", () => {
  it("takes the device-tree model and strips its trailing NUL", () => {
    expect(boardName({ ...none, deviceTreeModel: "Raspberry Pi 5 Model B Rev 1.0\0" })).toBe(
      "Raspberry Pi 5 Model B Rev 1.0",
    );
  });

  it("prefixes the DMI product with its vendor unless already named", () => {
    expect(boardName({ ...none, sysVendor: "Beelink", productName: "SER7" })).toBe("Beelink SER7");
    expect(boardName({ ...none, sysVendor: "Dell Inc.", productName: "Dell XPS 15 9520" })).toBe(
      "Dell XPS 15 9520",
    );
  });

  it("falls back to board_name when product_name is a firmware placeholder", () => {
    expect(
      boardName({
        ...none,
        sysVendor: "To Be Filled By O.E.M.",
        productName: "To Be Filled By O.E.M.",
        boardName: "B650M Pro RS",
      }),
    ).toBe("B650M Pro RS");
    expect(boardName({ ...none, productName: "Default string", boardName: "Default string" })).toBeNull();
  });

  it("is null when nothing identifies the machine (this VM has neither device tree nor DMI)", () => {
    expect(boardName(none)).toBeNull();
  });
});

describe("parseOsRelease", () => {
  it("reads NAME and VERSION_ID without quotes", () => {
    const text = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\n';
    expect(parseOsRelease(text)).toEqual({ distro: "Ubuntu", release: "24.04" });
  });

  it("accepts rolling distros without a version and rejects empty text", () => {
    expect(parseOsRelease('NAME="Arch Linux"\nBUILD_ID=rolling\n')).toEqual({
      distro: "Arch Linux",
      release: "rolling",
    });
    expect(parseOsRelease("")).toBeNull();
  });
});
