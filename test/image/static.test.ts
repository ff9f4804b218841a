import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type HclBody, loadPackerTemplate, parseHcl } from "./hcl.js";
import { pinnedNodeVersion } from "./node-pin.js";
import { explain, ROOT, requireFile, requireTool, run } from "./tools.js";

// Static gates of the appliance image (fast, no image build). A gate whose tool is missing FAILS and
// names the Debian package; .ci/run installs them (see image/README.md, "Tests").

const ANSIBLE_DIR = join(ROOT, "ansible");
const ansibleEnv = { ...process.env, ANSIBLE_CONFIG: join(ANSIBLE_DIR, "ansible.cfg"), ANSIBLE_NOCOLOR: "1" };
const SELINUX_MAKEFILE = "/usr/share/selinux/devel/Makefile";
const AGENT_UNIT = join(ROOT, "image", "systemd", "clawbox-agent.service");
/** Exposure ceiling for `systemd-analyze security`: ≤ 1.5 on its 0–10 scale (the agent unit is hardened). */
const MAX_EXPOSURE = 1.5;
/** Packer's `${path.root}` (the template's folder, here the repository root) as it appears in the source. */
const PATH_ROOT = ["$", "{path.root}"].join("");

/** clawbox_flavour_profiles of ansible/group_vars/all/clawbox.yml: flavour → { arch → hardware profile }. */
function flavourProfiles(): Record<string, Record<string, string>> {
  return parse(readFileSync(join(ANSIBLE_DIR, "group_vars", "all", "clawbox.yml"), "utf8"))
    .clawbox_flavour_profiles;
}

describe("ansible/", () => {
  it("ansible-playbook --syntax-check accepts image.yml", () => {
    requireTool("ansible-playbook", "ansible");
    const r = run("ansible-playbook", ["--syntax-check", "-i", "localhost,", "image.yml"], {
      cwd: ANSIBLE_DIR,
      env: ansibleEnv,
    });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain("playbook: image.yml");
  });

  it("ansible-lint --profile production reports no violation", () => {
    requireTool("ansible-lint", "ansible-lint");
    const r = run("ansible-lint", ["--offline", "--nocolor", "--profile", "production"], {
      cwd: ANSIBLE_DIR,
      env: ansibleEnv,
      timeoutMs: 180_000,
    });
    expect(r.code, explain(r)).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/Passed with production profile: 0 failure/);
  }, 200_000);

  it("pins a maintained Node LTS for the device, one SHA-512 per architecture", () => {
    // Node's release schedule (nodejs.org): even majors become LTS; 20 reached end of life in April 2026,
    // 22 is maintained until April 2027 and 24 until April 2028.
    const major = Number(pinnedNodeVersion().split(".")[0]);
    expect(major % 2, `Node ${major} is not an LTS line`).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
    const defaults = readFileSync(join(ANSIBLE_DIR, "roles/agent/defaults/main.yml"), "utf8");
    for (const arch of ["x64", "arm64"])
      expect(defaults).toMatch(new RegExp(`^  ${arch}: [0-9a-f]{128}$`, "m"));
  });

  it("takes each flavour's OS memory reserve (the agent's MemoryMax) from its hardware profile", () => {
    requireTool("ansible-playbook", "ansible");
    const expected = Object.entries(flavourProfiles()).flatMap(([flavour, byArch]) =>
      Object.entries(byArch).map(([arch, profile]) => ({ flavour, arch, profile })),
    );
    expect(expected.length).toBeGreaterThanOrEqual(5);
    // A throwaway playbook beside the real ones, so playbook_dir (and the profiles path) is the same.
    const play = join(ANSIBLE_DIR, `.reserve-check-${process.pid}.yml`);
    writeFileSync(
      play,
      stringify([
        {
          name: "Render the reserve",
          hosts: "localhost",
          gather_facts: false,
          vars_files: ["roles/device_layout/defaults/main.yml", "roles/agent/defaults/main.yml"],
          tasks: [
            {
              name: "Reserve",
              "ansible.builtin.debug": {
                msg: "RESERVE {{ item.flavour }}/{{ item.arch }}={{ clawbox_agent_os_reserve_bytes }}",
              },
              vars: { clawbox_flavour: "{{ item.flavour }}", clawbox_agent_node_arch: "{{ item.arch }}" },
              loop: expected.map(({ flavour, arch }) => ({ flavour, arch })),
            },
          ],
        },
      ]),
    );
    try {
      const r = run("ansible-playbook", ["-i", "localhost,", "-c", "local", play], {
        cwd: ANSIBLE_DIR,
        env: ansibleEnv,
      });
      expect(r.code, explain(r)).toBe(0);
      const reserve = (name: string) =>
        parse(readFileSync(join(ROOT, "hardware-profiles", "profiles", `${name}.yaml`), "utf8"))
          .osReserveBytes;
      for (const { flavour, arch, profile } of expected) {
        const got = new RegExp(`RESERVE ${flavour}/${arch}=(\\d+)`).exec(r.stdout)?.[1];
        expect(Number(got), `${flavour}/${arch} vs ${profile}.yaml`).toBe(reserve(profile));
      }
      // One rpi image boots both boards: the Pi 5's profile must not need another reserve.
      expect(reserve("raspberry-pi-5")).toBe(reserve("raspberry-pi-4"));
    } finally {
      rmSync(play, { force: true });
    }
  });
});

describe("Packerfile.pkr.hcl (parsed with HashiCorp's HCL2 parser)", () => {
  let template: HclBody;
  beforeAll(() => {
    template = loadPackerTemplate(join(ROOT, "Packerfile.pkr.hcl"));
  }, 120_000);

  const blocks = (type: string) => template.blocks.filter((b) => b.type === type);

  it("rejects a template that is not valid HCL2 (the parser gate can fail)", () => {
    expect(() => parseHcl('variable "x" {\n  type = string\n')).toThrow(
      /Unclosed configuration block|Missing/,
    );
  });

  it("pins Packer >= 1.11 and the arm, qemu and ansible plugins", () => {
    const packer = blocks("packer")[0];
    expect(packer?.body.attributes.required_version?.value).toMatch(/>=\s*1\.(1[1-9]|[2-9]\d)/);
    const plugins = packer?.body.blocks.find((b) => b.type === "required_plugins")?.body.attributes ?? {};
    expect(Object.keys(plugins).sort()).toEqual(["ansible", "arm", "qemu"]);
    for (const [name, p] of Object.entries(plugins)) {
      const v = p.value as { source?: string; version?: string } | null;
      expect(v?.source, name).toMatch(/^github\.com\/[\w-]+\/[\w-]+$/);
      expect(v?.version, name).toMatch(/^>=\s*\d+\.\d+\.\d+$/);
    }
  });

  it("types, describes and defaults every variable", () => {
    const vars = blocks("variable");
    expect(vars.map((v) => v.labels[0])).toEqual(
      expect.arrayContaining(["version", "flavour", "disk_size", "rpi_image_url", "amd64_image_url"]),
    );
    for (const v of vars) {
      const name = v.labels[0];
      expect(v.body.attributes.type?.source, `variable ${name} has no type`).toMatch(
        /^(string|number|bool|list|map)/,
      );
      expect(v.body.attributes.description?.value, `variable ${name} has no description`).toBeTruthy();
      expect(v.body.attributes, `variable ${name} has no default`).toHaveProperty("default");
    }
    // Packer cannot read Ansible's vars: its check must list exactly the flavours of the one list.
    const flavour = vars.find((v) => v.labels[0] === "flavour");
    const validation = flavour?.body.blocks.find((b) => b.type === "validation");
    const listed = [...(validation?.body.attributes.condition?.source ?? "").matchAll(/"([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(listed.sort()).toEqual(Object.keys(flavourProfiles()).sort());
  });

  it("verifies every downloaded base image with a checksum", () => {
    const defaults = new Map(blocks("variable").map((v) => [v.labels[0], v.body.attributes.default?.value]));
    const resolve = (source: string | undefined): unknown => {
      const ref = source?.match(/^var\.(\w+)$/);
      return ref ? defaults.get(ref[1] ?? "") : source;
    };
    const sources = blocks("source");
    expect(sources.map((s) => s.labels.join("."))).toEqual(["arm.rpi", "qemu.amd64"]);
    for (const s of sources) {
      const a = s.body.attributes;
      const checksum = resolve(
        a.file_checksum_url?.source ?? a.file_checksum?.source ?? a.iso_checksum?.source,
      );
      expect(checksum, `${s.labels.join(".")} has no checksum`).toMatch(
        /^(https:\/\/\S+SHA256SUMS|file:https:\/\/\S+SHA256SUMS|sha256:[0-9a-f]{64})$/,
      );
    }
    const arm = sources.find((s) => s.labels[0] === "arm");
    expect(arm?.body.attributes.file_checksum_type?.value).toBe("sha256");
    const parts = arm?.body.blocks.filter((b) => b.type === "image_partitions") ?? [];
    expect(
      parts.map((p) => [p.body.attributes.start_sector?.value, p.body.attributes.mountpoint?.value]),
    ).toEqual([
      ["2048", "/boot/firmware"],
      ["1050624", "/"],
    ]);
  });

  it("provisions both sources with an existing Ansible playbook, chroot connection for the Pi", () => {
    const locals = Object.fromEntries(
      blocks("locals").flatMap((l) => Object.entries(l.body.attributes).map(([k, v]) => [k, v.source])),
    );
    const build = blocks("build")[0];
    const provisioners =
      build?.body.blocks.filter((b) => b.type === "provisioner" && b.labels[0] === "ansible") ?? [];
    expect(provisioners.map((p) => p.body.attributes.only?.value)).toEqual([["arm.rpi"], ["qemu.amd64"]]);
    for (const p of provisioners) {
      let src = p.body.attributes.playbook_file?.source ?? "";
      const local = src.match(/^local\.(\w+)$/);
      if (local) src = locals[local[1] ?? ""] ?? "";
      const path = src.replace(/^"|"$/g, "").replace(PATH_ROOT, ROOT);
      expect(existsSync(path), `playbook ${path}`).toBe(true);
      expect(p.body.attributes.extra_arguments?.source).toContain("clawbox_image_build=true");
    }
    expect(provisioners[0]?.body.attributes.extra_arguments?.source).toContain(
      "--connection=community.general.chroot",
    );
    const post = build?.body.blocks.filter((b) => b.type === "post-processor") ?? [];
    for (const pp of post) {
      expect(pp.body.attributes.inline?.source).toContain("image/finalize-artifact.sh");
    }
    expect(statSync(join(ROOT, "image", "finalize-artifact.sh")).mode & 0o111).not.toBe(0);
  });
});

describe("SELinux module image/selinux/clawbox (refpolicy devel Makefile + sesearch)", () => {
  let work: string;
  let policy: string;
  let fileContexts: string;
  beforeAll(() => {
    requireFile(SELINUX_MAKEFILE, "selinux-policy-dev");
    requireTool("checkmodule", "checkpolicy");
    requireTool("semodule", "semodule-utils");
    requireFile("/var/lib/selinux/default/active", "selinux-policy-default");
    work = mkdtempSync(join(tmpdir(), "clawbox-selinux-"));
    const src = join(work, "src");
    mkdirSync(src);
    for (const ext of ["te", "fc", "if"])
      cpSync(join(ROOT, "image", "selinux", `clawbox.${ext}`), join(src, `clawbox.${ext}`));
    const make = run("make", ["-f", SELINUX_MAKEFILE, "NAME=default", "clawbox.pp"], { cwd: src });
    if (make.code !== 0 || !existsSync(join(src, "clawbox.pp")))
      throw new Error(`module build failed\n${explain(make)}`);
    // Install into a copy of the reference policy store under an alternate root: the build host's own
    // policy (and kernel) stay untouched, and the result is a complete policy.33 to query.
    const store = join(work, "root");
    mkdirSync(join(store, "var", "lib", "selinux"), { recursive: true });
    cpSync("/var/lib/selinux/default", join(store, "var", "lib", "selinux", "default"), { recursive: true });
    cpSync("/etc/selinux", join(store, "etc", "selinux"), { recursive: true });
    const install = run("semodule", ["-p", store, "-s", "default", "-n", "-i", join(src, "clawbox.pp")]);
    if (install.code !== 0) throw new Error(`semodule failed\n${explain(install)}`);
    policy = join(store, "etc", "selinux", "default", "policy", "policy.33");
    fileContexts = join(store, "etc", "selinux", "default", "contexts", "files", "file_contexts");
  }, 180_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const sesearch = (args: string[]) => {
    requireTool("sesearch", "setools");
    const r = run("sesearch", [...args, policy]);
    expect(r.code, explain(r)).toBe(0);
    return r.stdout.trim();
  };

  it("systemd (init_t) starts the dedicated Node binary in clawbox_t", () => {
    expect(sesearch(["-T", "-s", "init_t", "-t", "clawbox_exec_t", "-c", "process"])).toContain(
      "type_transition init_t clawbox_exec_t:process clawbox_t;",
    );
  });

  it("lets first boot (initrc_t) run that binary in its own domain for the seed import (runcon)", () => {
    // image/libexec/firstboot asks for its own type again; the kernel then checks execute_no_trans.
    expect(
      sesearch(["-A", "-s", "initrc_t", "-t", "clawbox_exec_t", "-c", "file", "-p", "execute_no_trans"]),
    ).toMatch(/execute_no_trans/);
    expect(sesearch(["-A", "-s", "init_t", "-t", "init_t", "-c", "process", "-p", "setexec"])).toMatch(
      /setexec/,
    );
  });

  it("grants execmem for the V8 JIT", () => {
    expect(sesearch(["-A", "-s", "clawbox_t", "-t", "clawbox_t", "-c", "process", "-p", "execmem"])).toMatch(
      /execmem/,
    );
  });

  it("may bind its listener port types (80/443/8443 http_port_t, 8080 http_cache_port_t) and nothing wider", () => {
    const binds = sesearch(["-A", "-s", "clawbox_t", "-c", "tcp_socket", "-p", "name_bind"]);
    expect(binds).toMatch(/allow clawbox_t http_port_t:tcp_socket [^;]*name_bind/);
    expect(binds).toMatch(/allow clawbox_t http_cache_port_t:tcp_socket [^;]*name_bind/);
    expect(binds).not.toMatch(
      /allow clawbox_t (port_type|reserved_port_t|unreserved_port_t):tcp_socket [^;]*name_bind/,
    );
  });

  it("reads its device-key credential on the ramfs systemd mounts for it, and may not write there", () => {
    expect(sesearch(["-A", "-s", "clawbox_t", "-t", "ramfs_t", "-c", "file", "-p", "read"])).toMatch(
      /allow clawbox_t ramfs_t:file/,
    );
    expect(sesearch(["-A", "-s", "clawbox_t", "-t", "ramfs_t", "-c", "file", "-p", "write"])).toBe("");
  });

  it("may not read /etc/shadow (shadow_t) nor the admin's home", () => {
    expect(sesearch(["-A", "-s", "clawbox_t", "-t", "shadow_t", "-c", "file", "-p", "read"])).toBe("");
    expect(sesearch(["-A", "-s", "clawbox_t", "-t", "user_home_t", "-c", "file", "-p", "read"])).toBe("");
  });

  it("lets only the SSH key installer write the keys sshd reads for admin", () => {
    expect(sesearch(["-T", "-s", "init_t", "-t", "clawbox_sshkeys_exec_t", "-c", "process"])).toContain(
      "clawbox_sshkeys_t",
    );
    expect(
      sesearch(["-A", "-s", "clawbox_sshkeys_t", "-t", "clawbox_ssh_keys_t", "-c", "file", "-p", "write"]),
    ).toMatch(/allow clawbox_sshkeys_t clawbox_ssh_keys_t:file/);
    expect(sesearch(["-A", "-s", "sshd_t", "-t", "clawbox_ssh_keys_t", "-c", "file", "-p", "read"])).toMatch(
      /allow sshd_t clawbox_ssh_keys_t:file/,
    );
    // The agent (clawbox_t) writes only its own list; the installer only reads that list.
    expect(sesearch(["-A", "-s", "clawbox_t", "-t", "clawbox_ssh_keys_t", "-c", "file", "-p", "write"])).toBe(
      "",
    );
    expect(
      sesearch(["-A", "-s", "clawbox_sshkeys_t", "-t", "clawbox_var_lib_t", "-c", "file", "-p", "write"]),
    ).toBe("");
    expect(sesearch(["-A", "-s", "clawbox_sshkeys_t", "-t", "shadow_t", "-c", "file", "-p", "read"])).toBe(
      "",
    );
  });

  it("labels the runtime, release, config, state and runtime paths", () => {
    requireTool("matchpathcon", "selinux-utils");
    const expected: Record<string, string> = {
      [`/opt/clawbox/node-${pinnedNodeVersion()}/bin/node`]: "clawbox_exec_t",
      "/opt/clawbox/releases/0.1.0/agent/dist/cli/main.js": "clawbox_lib_t",
      "/opt/clawbox/releases/0.1.0/node_modules/better-sqlite3/build/Release/better_sqlite3.node":
        "clawbox_lib_t",
      "/etc/clawbox/config.yaml": "clawbox_conf_t",
      "/var/lib/clawbox/clawbox.db": "clawbox_var_lib_t",
      "/var/lib/clawbox/models/stories260K.gguf": "clawbox_var_lib_t",
      "/run/clawbox/context": "clawbox_runtime_t",
    };
    const r = run("matchpathcon", ["-f", fileContexts, ...Object.keys(expected)]);
    expect(r.code, explain(r)).toBe(0);
    const got = Object.fromEntries(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(/\s+/))
        .map(([path, ctx]) => [path, ctx?.split(":")[2]]),
    );
    expect(got).toEqual(expected);
  });
});

describe("image/systemd/clawbox-agent.service", () => {
  /** Overall exposure (0–10) that `systemd-analyze security --offline=true` prints for the agent. */
  const exposure = (root: string): number => {
    requireTool("systemd-analyze", "systemd");
    const r = run("systemd-analyze", [
      "security",
      "--offline=true",
      `--root=${root}`,
      "clawbox-agent.service",
    ]);
    const m = `${r.stdout}${r.stderr}`.match(/Overall exposure level for clawbox-agent\.service: (\d+\.\d)/);
    if (!m) throw new Error(`no exposure in the output\n${explain(r)}`);
    return Number(m[1]);
  };
  const withRoot = (dropIns: Record<string, string>, check: (root: string) => void) => {
    const root = mkdtempSync(join(tmpdir(), "clawbox-unit-"));
    try {
      const dir = join(root, "etc", "systemd", "system");
      mkdirSync(join(dir, "clawbox-agent.service.d"), { recursive: true });
      cpSync(AGENT_UNIT, join(dir, "clawbox-agent.service"));
      for (const [name, text] of Object.entries(dropIns))
        writeFileSync(join(dir, "clawbox-agent.service.d", name), text);
      check(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  it(`scores an exposure of at most ${MAX_EXPOSURE} offline`, () => {
    withRoot({}, (root) => expect(exposure(root)).toBeLessThanOrEqual(MAX_EXPOSURE));
  });

  it(`stays at most ${MAX_EXPOSURE} with the GPU drop-in of the nvidia flavour`, () => {
    const gpu = readFileSync(join(ROOT, "ansible", "roles", "drivers", "tasks", "gpu-dropin.yml"), "utf8");
    expect(gpu).toContain("PrivateDevices=no");
    const dropIn = [
      "[Service]",
      "PrivateDevices=no",
      "DevicePolicy=closed",
      "DeviceAllow=char-nvidiactl rw",
      "DeviceAllow=char-nvidia-frontend rw",
      "DeviceAllow=char-nvidia-uvm rw",
      "SupplementaryGroups=video render",
      "",
    ].join("\n");
    withRoot({ "20-gpu.conf": dropIn }, (root) => expect(exposure(root)).toBeLessThanOrEqual(MAX_EXPOSURE));
  });

  it("the gate fails for an unsandboxed unit", () => {
    withRoot(
      {
        "99-open.conf":
          "[Service]\nProtectSystem=no\nPrivateUsers=no\nCapabilityBoundingSet=~\nSystemCallFilter=\nPrivateDevices=no\nPrivateTmp=no\nProtectHome=no\nNoNewPrivileges=no\n",
      },
      (root) => expect(exposure(root)).toBeGreaterThan(MAX_EXPOSURE),
    );
  });

  it("restarts on failure, runs unprivileged from the dedicated Node binary", () => {
    const unit = readFileSync(AGENT_UNIT, "utf8");
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^User=clawbox$/m);
    expect(unit).toMatch(
      /^ExecStart=\/opt\/clawbox\/node\/bin\/node (--[\w-]+(=\S+)? )*\/opt\/clawbox\/current\/agent\/dist\/cli\/main\.js start/m,
    );
    expect(unit).toMatch(/^MemoryDenyWriteExecute=no$/m);
  });
});
