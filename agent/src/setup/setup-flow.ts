import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { AdminAccounts } from "./admin-accounts.js";
import type { DeviceIdentity, DeviceSettings } from "./device-settings.js";
import type { ModelChoice } from "./model-choice.js";
import type { SettingsStore } from "./settings-store.js";
import type { SshPublicKey } from "./ssh-key.js";
import { OPTIONAL_STEPS, SETUP_STEPS, type SetupStep } from "./steps.js";

/** Languages of the web app's message catalogues. */
export const LANGUAGES = ["en", "zh-CN"] as const;
export type Language = (typeof LANGUAGES)[number];

/** What is persisted under the `setup` settings key. */
interface SetupRecord {
  state: "unconfigured" | "configured";
  language: Language | null;
  /** Step → ISO time it was completed. */
  done: Partial<Record<SetupStep, string>>;
  skipped: SetupStep[];
  /** Catalogue id or store file chosen in the model step. */
  model: string | null;
  finishedAt: string | null;
}

/** `GET /api/setup` body (no secrets: it is answered without the setup code). */
export interface SetupStatus {
  state: "unconfigured" | "configured";
  language: Language | null;
  /** The first step neither done nor skipped ("finish" when only that is left). */
  current: SetupStep;
  steps: { id: SetupStep; status: "done" | "skipped" | "pending" }[];
  finishedAt: string | null;
}

/** Everything the wizard has collected so far (answered only with the setup code). */
export interface SetupDetails extends SetupStatus {
  admin: string | null;
  device: DeviceIdentity | null;
  model: string | null;
  sshKeys: SshPublicKey[];
}

const EMPTY: SetupRecord = {
  state: "unconfigured",
  language: null,
  done: {},
  skipped: [],
  model: null,
  finishedAt: null,
};

/**
 * The first-boot state machine, persisted in SQLite (settings key `setup`) after every step, so a reload,
 * a second browser or a restart continues where it stopped. Steps may be redone in any order until
 * finish(); after finish every mutation throws UserError 410 (`setup_finished`) for good.
 */
export class SetupFlow {
  constructor(
    private readonly settings: SettingsStore,
    private readonly admins: AdminAccounts,
    private readonly device: DeviceSettings,
    /** Called once when setup finishes (deletes the setup-code file). */
    private readonly onFinished: () => void = () => {},
    /** Makes a chosen model that is already in the store the running one (absent: only remembered). */
    private readonly modelChoice?: ModelChoice,
  ) {}

  #record(): SetupRecord {
    return { ...EMPTY, ...(this.settings.get<SetupRecord>("setup") ?? {}) };
  }

  #save(record: SetupRecord): void {
    this.settings.set("setup", record);
  }

  /** True once finish() succeeded (survives restarts). */
  isConfigured(): boolean {
    return this.#record().state === "configured";
  }

  /** Throws UserError 410 when setup is finished. */
  assertOpen(): void {
    if (this.isConfigured()) {
      throw new UserError("setup is already finished", {
        code: ErrorCode.SETUP_FINISHED,
        status: 410,
        fix: "log in to the dashboard to change settings",
      });
    }
  }

  /** The public status (GET /api/setup). */
  status(): SetupStatus {
    const r = this.#record();
    const steps = SETUP_STEPS.map((id) => ({
      id,
      status: r.done[id]
        ? ("done" as const)
        : r.skipped.includes(id)
          ? ("skipped" as const)
          : ("pending" as const),
    }));
    const current = steps.find((s) => s.status === "pending")?.id ?? "finish";
    return { state: r.state, language: r.language, current, steps, finishedAt: r.finishedAt };
  }

  /** Status plus what was entered (for the wizard after a reload). */
  details(): SetupDetails {
    const r = this.#record();
    return {
      ...this.status(),
      admin: this.admins.usernames()[0] ?? null,
      device: this.device.identity(),
      model: r.model,
      sshKeys: this.device.sshKeys(),
    };
  }

  #mark(step: SetupStep, change: Partial<SetupRecord> = {}): void {
    const r = this.#record();
    this.#save({
      ...r,
      ...change,
      done: { ...r.done, [step]: new Date().toISOString() },
      skipped: r.skipped.filter((s) => s !== step),
    });
  }

  /** Step 1: the language chosen on the welcome screen (the code was already checked by the route). */
  welcome(language: Language): void {
    this.assertOpen();
    this.#mark("welcome", { language });
  }

  /** Step 2: creates (or replaces) the one admin account. Errors: AdminAccounts.setAdmin. */
  async setAdmin(username: string, password: string): Promise<void> {
    this.assertOpen();
    await this.admins.setAdmin(username, password);
    this.admins.keepOnly(username);
    this.#mark("admin");
  }

  /**
   * Step 2 done by a boot-partition seed (setup/seed-admin.ts): `create` stores the seed's account, then
   * the step is marked done so the wizard skips it. Throws UserError 410 when setup is finished.
   */
  adoptAdmin(create: () => void): void {
    this.assertOpen();
    create();
    this.#mark("admin");
  }

  /** Step 3: device name + time zone. Errors: DeviceSettings.setIdentity. */
  async setDevice(name: string, timezone: string): Promise<DeviceIdentity> {
    this.assertOpen();
    const identity = await this.device.setIdentity(name, timezone);
    this.#mark("device");
    return identity;
  }

  /**
   * Step 5: remembers the chosen model (catalogue id, store file name, hf: URI or URL). When its file is
   * already in the store it becomes the running model at once (ModelChoice.applyIfPresent: config file +
   * load); otherwise the download step pulls it and applies it when done. Errors: ModelChoice.apply.
   */
  async chooseModel(model: string): Promise<void> {
    this.assertOpen();
    this.#mark("model", { model });
    await this.modelChoice?.applyIfPresent(model);
  }

  /** Step 8: adds a fleet SSH key. Errors: DeviceSettings.addSshKey. */
  async addSshKey(text: string): Promise<SshPublicKey> {
    this.assertOpen();
    const key = await this.device.addSshKey(text);
    this.#mark("remote");
    return key;
  }

  /** Marks an optional step done (network joined, download finished, messaging seen). */
  complete(step: SetupStep): void {
    this.assertOpen();
    this.#requireOptional(step);
    this.#mark(step);
  }

  /** Marks an optional step skipped ("set up later"). */
  skip(step: SetupStep): void {
    this.assertOpen();
    this.#requireOptional(step);
    const r = this.#record();
    if (!r.skipped.includes(step)) this.#save({ ...r, skipped: [...r.skipped, step] });
  }

  #requireOptional(step: SetupStep): void {
    if (!OPTIONAL_STEPS.includes(step)) {
      throw new UserError(`the step "${step}" cannot be skipped`, {
        code: ErrorCode.SETUP_STEP,
        fix: `optional steps are: ${OPTIONAL_STEPS.join(", ")}`,
      });
    }
  }

  /**
   * Step 9: ends setup. Needs the admin account and the device step (409 `setup_incomplete` otherwise);
   * then the state is "configured" for good and onFinished runs (setup code deleted).
   */
  finish(): SetupStatus {
    this.assertOpen();
    const r = this.#record();
    const missing = (["admin", "device"] as const).filter((s) => !r.done[s]);
    if (missing.length > 0) {
      throw new UserError(`setup cannot finish yet: ${missing.join(" and ")} still to do`, {
        code: ErrorCode.SETUP_INCOMPLETE,
        status: 409,
        fix: "complete the admin account and device steps first",
      });
    }
    const now = new Date().toISOString();
    this.#save({ ...r, state: "configured", finishedAt: now, done: { ...r.done, finish: now } });
    this.onFinished();
    return this.status();
  }
}
