import { useState } from "preact/hooks";
import { ApiError, api } from "../api.js";
import { ErrorLine, Field, Submit, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";
import type {
  BridgeApiBase,
  BridgeChangeAnswer,
  BridgeOverview,
  BridgeTypeInfo,
  ConnectionTestResult,
} from "./bridge-types.js";
import {
  buildConfig,
  type FormValues,
  initialValues,
  isMainKey,
  SchemaFields,
  typeDescription,
} from "./schema-form.js";

/** The id a new bridge of `type` gets unless the owner types another: the type, then type-2, type-3, … */
function suggestId(type: string, taken: string[]): string {
  if (!taken.includes(type)) return type;
  let n = 2;
  while (taken.includes(`${type}-${n}`)) n++;
  return `${type}-${n}`;
}

/** The current values of the form's controls (read from the DOM, so a fast Enter sees the last keystroke). */
function readForm(form: HTMLFormElement, info: BridgeTypeInfo): FormValues {
  const values: FormValues = {};
  for (const key of Object.keys(info.properties)) {
    const el = form.elements.namedItem(key) as HTMLInputElement | null;
    if (!el) continue;
    values[key] = el.type === "checkbox" ? el.checked : el.value;
  }
  return values;
}

/** The config key an agent error names (`bridge "x": "port" must be …`), to show it at that field. */
function keyOfError(message: string): string | null {
  return /^bridge "[^"]*": "([^".]+)/.exec(message)?.[1] ?? null;
}

/**
 * Add or edit one bridge: the type (new bridges), its id, the fields generated from the type's schema
 * (the main ones first, the rest under "More settings"), "Test connection" and "Save". `base` picks the
 * dashboard API or the wizard's (setup code). Calls `onSaved` with the agent's answer.
 */
export function BridgeEditor(props: {
  base: BridgeApiBase;
  types: BridgeTypeInfo[];
  existing?: BridgeOverview;
  takenIds: string[];
  onSaved: (answer: BridgeChangeAnswer) => void;
  onCancel?: () => void;
  /** Label of the type chooser (default "Bridge type") and of its empty choice (default "Choose a type…"). */
  typeLabel?: string;
  noTypeLabel?: string;
}) {
  const [type, setType] = useState(props.existing?.type ?? "");
  const [id, setId] = useState(props.existing?.id ?? "");
  const info = props.types.find((x) => x.type === type);
  const [values, setValues] = useState<FormValues>(() =>
    info ? initialValues(info, props.existing?.config) : {},
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [test, setTest] = useState<ConnectionTestResult | null>(null);
  const save = useAction();
  const testing = useAction();

  const chooseType = (next: string) => {
    setType(next);
    const nextInfo = props.types.find((x) => x.type === next);
    setValues(nextInfo ? initialValues(nextInfo) : {});
    setId(next ? suggestId(next, props.takenIds) : "");
    setErrors({});
    setTest(null);
  };
  /** The entry to send, or null after marking the field that cannot be parsed. */
  const entry = (form: HTMLFormElement | null) => {
    if (!info || !form) return null;
    const built = buildConfig(info, readForm(form, info));
    if ("error" in built) {
      setErrors({ [built.error.key]: built.error.message });
      return null;
    }
    setErrors({});
    return built.config;
  };
  const showError = (err: unknown) => {
    const key = err instanceof ApiError ? keyOfError(err.message) : null;
    if (key && info?.properties[key]) setErrors({ [key]: err instanceof Error ? err.message : String(err) });
    else throw err;
  };
  const bridgeId = () => (props.existing ? props.existing.id : id.trim());

  const keys = info ? Object.keys(info.properties) : [];
  const fieldProps = {
    values,
    errors,
    onChange: (key: string, value: string | boolean) => setValues({ ...values, [key]: value }),
  };
  return (
    <form
      class="bridge-editor"
      aria-label={props.existing ? t("bridges.editing", { id: props.existing.id }) : t("bridges.add")}
      onSubmit={(e) => {
        e.preventDefault();
        const config = entry(e.currentTarget as HTMLFormElement);
        if (!config) return;
        void save.run(async () => {
          try {
            const answer = await api<BridgeChangeAnswer>(
              "PUT",
              `${props.base}/bridges/${encodeURIComponent(bridgeId())}`,
              { config },
            );
            props.onSaved(answer);
          } catch (err) {
            showError(err);
          }
        });
      }}
    >
      {!props.existing && (
        <Field label={props.typeLabel ?? t("bridges.type")} help={info ? typeDescription(info) : undefined}>
          {({ id: fieldId, describedBy }) => (
            <select
              id={fieldId}
              aria-describedby={describedBy}
              name="bridge-type"
              value={type}
              onChange={(e) => chooseType((e.currentTarget as HTMLSelectElement).value)}
            >
              <option value="">{props.noTypeLabel ?? t("bridges.chooseType")}</option>
              {props.types.map((x) => (
                <option key={x.type} value={x.type}>
                  {x.type}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {info && (
        <>
          {!props.existing && (
            <Field label={t("bridges.id")} help={t("bridges.idHelp")}>
              {({ id: fieldId, describedBy }) => (
                <input
                  id={fieldId}
                  name="bridge-id"
                  value={id}
                  required
                  pattern="[a-z0-9][a-z0-9_\-]{0,63}"
                  autoComplete="off"
                  spellcheck={false}
                  aria-describedby={describedBy}
                  onInput={(e) => setId((e.currentTarget as HTMLInputElement).value)}
                />
              )}
            </Field>
          )}
          {props.existing && <p class="help">{typeDescription(info)}</p>}
          <SchemaFields info={info} keys={keys.filter((k) => isMainKey(info, k))} {...fieldProps} />
          <details class="more">
            <summary>{t("bridges.more")}</summary>
            <SchemaFields info={info} keys={keys.filter((k) => !isMainKey(info, k))} {...fieldProps} />
          </details>
          <div role="status" aria-live="polite" class="test-result">
            {test?.ok && (
              <p class="ok">
                {test.running
                  ? t("bridges.testRunning")
                  : test.botId
                    ? t("bridges.testOk", { botId: test.botId, ms: test.ms })
                    : t("bridges.testOkNoId", { ms: test.ms })}
              </p>
            )}
            {test && !test.ok && (
              <>
                {test.kind && test.kind !== "other" && (
                  <p class="error">
                    <strong>{t(`bridges.fail.${test.kind}`)}</strong>
                  </p>
                )}
                <p class="error">
                  {t(test.running ? "bridges.testRunningFailed" : "bridges.testFailed", {
                    reason: test.reason ?? "",
                  })}
                </p>
                {test.fix && <p class="help">{t("bridges.fix", { fix: test.fix })}</p>}
              </>
            )}
          </div>
          <ErrorLine error={save.error ?? testing.error} />
        </>
      )}
      <div class="actions">
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            {t("common.cancel")}
          </button>
        )}
        {info && (
          <button
            type="button"
            disabled={testing.busy}
            aria-busy={testing.busy}
            onClick={(e) => {
              const config = entry((e.currentTarget as HTMLButtonElement).form);
              if (!config) return;
              setTest(null);
              void testing.run(async () => {
                setTest(
                  await api<ConnectionTestResult>("POST", `${props.base}/bridges/test`, {
                    id: bridgeId() || type,
                    config,
                  }),
                );
              });
            }}
          >
            {testing.busy ? t("common.working") : t("bridges.test")}
          </button>
        )}
        {info && <Submit busy={save.busy} label={t("common.save")} />}
      </div>
    </form>
  );
}
