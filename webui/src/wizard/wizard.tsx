import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { SETUP_STEPS } from "../../../agent/src/setup/steps.js";
import { api } from "../api.js";
import type { SetupDetails, StepId } from "../api-types.js";
import { t } from "../i18n/i18n.js";
import { setupCode, setupStatus } from "../state.js";
import { AdminStep, DeviceStep, WelcomeStep } from "./steps-account.js";
import { MessagingStep, RemoteStep } from "./steps-connect.js";
import { DownloadStep } from "./steps-download.js";
import { FinishStep } from "./steps-finish.js";
import { ModelStep } from "./steps-model.js";
import { NetworkStep } from "./steps-network.js";

/** The step on screen and what the agent knows so far (refreshed after each step). */
export const step = signal<StepId>("welcome");
export const details = signal<SetupDetails | null>(null);

/** True when the admin step is already done, e.g. by a seed file's admin account: the wizard skips it. */
function adminDone(): boolean {
  const steps = details.value?.steps ?? setupStatus.value.steps;
  return steps.some((s) => s.id === "admin" && s.status === "done");
}

/** Reloads the agent's setup details (needs the code). */
export async function refreshDetails(): Promise<SetupDetails> {
  const d = await api<SetupDetails>("GET", "/api/setup/details");
  details.value = d;
  return d;
}

/** Goes to the step after `from` (past the admin step when a seed already created the account). */
export function next(from: StepId): void {
  let i = SETUP_STEPS.indexOf(from) + 1;
  if (SETUP_STEPS[i] === "admin" && adminDone()) i += 1;
  step.value = SETUP_STEPS[Math.min(i, SETUP_STEPS.length - 1)] as StepId;
  void refreshDetails().catch(() => {});
}

export function back(from: StepId): void {
  const i = SETUP_STEPS.indexOf(from);
  step.value = SETUP_STEPS[Math.max(i - 1, 0)] as StepId;
}

/** The wizard: progress list, then the current step. Resumes at the agent's current step after a reload. */
export function Wizard() {
  useEffect(() => {
    if (!setupCode.value) return;
    refreshDetails()
      .then((d) => {
        step.value = d.current === "welcome" ? "welcome" : d.current;
      })
      .catch(() => {
        step.value = "welcome";
      });
  }, []);
  const n = SETUP_STEPS.indexOf(step.value) + 1;
  useEffect(() => {
    document.title = `${t(`step.${step.value}`)} · clawbox`;
    document.querySelector<HTMLElement>("main h1")?.focus();
  }, [step.value]);
  return (
    <main class="wizard" data-step={step.value}>
      <nav aria-label={t("wizard.stepOf", { n, total: SETUP_STEPS.length })}>
        <p class="progress-text">{t("wizard.stepOf", { n, total: SETUP_STEPS.length })}</p>
        <ol class="steps">
          {SETUP_STEPS.map((s, i) => (
            <li
              key={s}
              class={i + 1 < n ? "done" : i + 1 === n ? "current" : ""}
              aria-current={i + 1 === n ? "step" : undefined}
            >
              <span>{t(`step.${s}`)}</span>
            </li>
          ))}
        </ol>
      </nav>
      {setupStatus.value.seedError && (
        <div class="card error" role="alert">
          <p>{t("wizard.seedError")}</p>
          <p>
            <code>{setupStatus.value.seedError}</code>
          </p>
          <p>{t("wizard.seedErrorHelp")}</p>
        </div>
      )}
      <section class="card">
        <h1 tabIndex={-1}>{t(`step.${step.value}`)}</h1>
        {step.value === "welcome" && <WelcomeStep />}
        {step.value === "admin" && <AdminStep />}
        {step.value === "device" && <DeviceStep />}
        {step.value === "network" && <NetworkStep />}
        {step.value === "model" && <ModelStep />}
        {step.value === "download" && <DownloadStep />}
        {step.value === "messaging" && <MessagingStep />}
        {step.value === "remote" && <RemoteStep />}
        {step.value === "finish" && <FinishStep />}
      </section>
    </main>
  );
}
