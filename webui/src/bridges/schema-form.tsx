import { Field } from "../components/form.js";
import type { MessageKey } from "../i18n/en.js";
import { CATALOGUES, t } from "../i18n/i18n.js";
import { lang } from "../state.js";
import {
  type BridgeConfig,
  type BridgeTypeInfo,
  type PropertySchema,
  SECRET_PLACEHOLDER,
} from "./bridge-types.js";

/** Form values by config key: text of inputs (numbers, lists and JSON as typed) or a checkbox's state. */
export type FormValues = Record<string, string | boolean>;

/** A message of the catalogue when it has `key` (field labels of types added later may be missing). */
function maybe(key: string): string | undefined {
  const k = key as MessageKey;
  return k in CATALOGUES.en ? t(k) : undefined;
}

/**
 * Registry text (type descriptions, field help, sender id hints) in the current language: English comes
 * from the agent's registry as it is; other languages use the catalogue's translation under `key` when
 * there is one (types added later fall back to the registry's English).
 */
export function registryText(key: string, english: string | undefined): string | undefined {
  if (lang.value === "en") return english;
  return maybe(key) ?? english;
}

/** The type's one-line description in the current language. */
export function typeDescription(info: BridgeTypeInfo): string {
  return registryText(`bridges.typeDesc.${info.type}`, info.description) ?? info.type;
}

/** The field's label: the catalogue's name for the key, else the key itself. */
export function fieldLabel(key: string): string {
  return maybe(`bridges.field.${key}`) ?? key;
}

/** Help under a field: the catalogue's text for the shared keys, else the registry's description. */
function fieldHelp(key: string, schema: PropertySchema, info: BridgeTypeInfo): string | undefined {
  const shared = maybe(`bridges.help.${key}`);
  const own = shared ?? registryText(`bridges.help.${info.type}.${key}`, schema.description);
  const senderHint = registryText(`bridges.senderIdHint.${info.type}`, info.senderIdHint);
  const hint = key === "allowFrom" && senderHint ? t("bridges.senderHint", { hint: senderHint }) : "";
  return [own, hint].filter(Boolean).join(" ") || undefined;
}

type Kind = "boolean" | "enum" | "number" | "list" | "json" | "text";

function kindOf(schema: PropertySchema): Kind {
  if (schema.enum) return "enum";
  if (schema.type === "boolean") return "boolean";
  if (schema.type === "integer" || schema.type === "number") return "number";
  if (schema.type === "array") return "list";
  if (schema.type === "object") return "json";
  return "text";
}

/**
 * The form's starting values: an existing bridge's config (secrets stay "********"), else each key's
 * schema default for booleans and enums (text fields show their default as a placeholder instead).
 */
export function initialValues(info: BridgeTypeInfo, config?: BridgeConfig): FormValues {
  const values: FormValues = {};
  for (const [key, schema] of Object.entries(info.properties)) {
    const v = config?.[key] ?? (config ? undefined : schema.default);
    const kind = kindOf(schema);
    if (kind === "boolean") values[key] = typeof v === "boolean" ? v : schema.default === true;
    else if (v === undefined) values[key] = kind === "enum" && schema.enum ? (schema.enum[0] ?? "") : "";
    else if (kind === "list") values[key] = Array.isArray(v) ? v.join("\n") : String(v);
    else if (kind === "json") values[key] = typeof v === "string" ? v : JSON.stringify(v, null, 2);
    else values[key] = String(v);
  }
  return values;
}

/**
 * Turns form values into a bridge entry for the API: empty fields and values equal to the schema's
 * default are left out (the agent fills in defaults, so the config file holds only what the owner
 * chose), numbers and JSON objects parsed, lists split by line. Returns `{error: {key, message}}`
 * for a value that cannot be parsed; everything else is left to the agent's schema check.
 */
export function buildConfig(
  info: BridgeTypeInfo,
  values: FormValues,
): { config: BridgeConfig } | { error: { key: string; message: string } } {
  const config: BridgeConfig = { type: info.type };
  for (const [key, schema] of Object.entries(info.properties)) {
    const v = values[key];
    const kind = kindOf(schema);
    if (kind === "boolean") {
      // the default is left out of the file, so a later change of the default applies
      if (typeof v === "boolean" && v !== schema.default) config[key] = v;
      continue;
    }
    const text = typeof v === "string" ? v.trim() : "";
    // empty, or the schema's default (an edited bridge shows its defaults): left to the agent
    if (!text || (schema.default !== undefined && kind !== "json" && text === String(schema.default)))
      continue;
    if (kind === "number") {
      const n = Number(text);
      if (!Number.isFinite(n))
        return { error: { key, message: t("bridges.badNumber", { key: fieldLabel(key) }) } };
      config[key] = n;
    } else if (kind === "list") {
      config[key] = text
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean);
    } else if (kind === "json") {
      if (text === SECRET_PLACEHOLDER) config[key] = text;
      else {
        try {
          const parsed: unknown = JSON.parse(text);
          if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
            throw new Error("not an object");
          config[key] = parsed;
        } catch {
          return { error: { key, message: t("bridges.badJson", { key: fieldLabel(key) }) } };
        }
      }
    } else config[key] = text;
  }
  return { config };
}

/** Keys shown before "More settings": required ones, secrets and who may talk to the assistant. */
export function isMainKey(info: BridgeTypeInfo, key: string): boolean {
  return (
    info.required.includes(key) || info.secretKeys.includes(key) || key === "dmPolicy" || key === "allowFrom"
  );
}

/** One labelled control per key of `keys`, generated from the type's schema. */
export function SchemaFields(props: {
  info: BridgeTypeInfo;
  keys: string[];
  values: FormValues;
  errors: Record<string, string>;
  onChange: (key: string, value: string | boolean) => void;
}) {
  const { info, values } = props;
  return (
    <>
      {props.keys.map((key) => {
        const schema = info.properties[key] as PropertySchema;
        const kind = kindOf(schema);
        const secret = info.secretKeys.includes(key);
        const kept = secret && values[key] === SECRET_PLACEHOLDER;
        const help = kept ? t("bridges.secretKept") : fieldHelp(key, schema, info);
        const extraHelp =
          kind === "list" && key !== "allowFrom"
            ? t("bridges.listHelp")
            : kind === "json"
              ? t("bridges.jsonHelp")
              : "";
        const error = props.errors[key] ?? null;
        const required = info.required.includes(key);
        if (kind === "boolean") {
          return (
            <div class="field" key={key}>
              <label class="check">
                <input
                  type="checkbox"
                  name={key}
                  checked={values[key] === true}
                  onChange={(e) => props.onChange(key, (e.currentTarget as HTMLInputElement).checked)}
                />
                {fieldLabel(key)}
              </label>
              {help && <small class="help">{help}</small>}
            </div>
          );
        }
        return (
          <Field
            key={key}
            label={required ? `${fieldLabel(key)} *` : fieldLabel(key)}
            help={[help, extraHelp].filter(Boolean).join(" ") || undefined}
            error={error}
          >
            {({ id, describedBy, invalid }) => {
              const common = {
                id,
                name: key,
                "aria-describedby": describedBy,
                "aria-invalid": invalid,
                "aria-required": required,
              };
              const set = (e: Event) =>
                props.onChange(key, (e.currentTarget as HTMLInputElement | HTMLSelectElement).value);
              if (kind === "enum") {
                return (
                  <select {...common} value={String(values[key] ?? "")} onChange={set}>
                    {schema.enum?.map((v) => (
                      <option key={v} value={v}>
                        {key === "dmPolicy" ? (maybe(`bridges.dmPolicy.${v}`) ?? v) : v}
                      </option>
                    ))}
                  </select>
                );
              }
              if (kind === "list" || (kind === "json" && !kept)) {
                return (
                  <textarea
                    {...common}
                    rows={kind === "json" ? 5 : 3}
                    class="mono"
                    spellcheck={false}
                    value={String(values[key] ?? "")}
                    onInput={set}
                  />
                );
              }
              return (
                <input
                  {...common}
                  // preact types each input type separately; the value is one of the three
                  type={(secret ? "password" : kind === "number" ? "number" : "text") as "text"}
                  inputMode={kind === "number" ? "numeric" : undefined}
                  autoComplete={secret ? "new-password" : "off"}
                  spellcheck={false}
                  placeholder={schema.default !== undefined ? String(schema.default) : undefined}
                  min={schema.minimum}
                  max={schema.maximum}
                  value={String(values[key] ?? "")}
                  onInput={set}
                />
              );
            }}
          </Field>
        );
      })}
    </>
  );
}
