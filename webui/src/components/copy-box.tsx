import { useState } from "preact/hooks";
import { t } from "../i18n/i18n.js";
import { Field } from "./form.js";

/** A copy-paste `curl` call of the OpenAI-compatible API for this device. */
export function curlExample(token: string): string {
  return [
    `curl ${location.origin}/v1/chat/completions \\`,
    `  -H "Authorization: Bearer ${token}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"messages": [{"role": "user", "content": "Hello!"}]}'`,
  ].join("\n");
}

/** A read-only value with a Copy button. */
export function CopyBox(props: { label: string; value: string; multiline?: boolean }) {
  const [copied, setCopied] = useState(false);
  return (
    <Field label={props.label}>
      {({ id }) => (
        <div class="copy">
          {props.multiline ? (
            <textarea id={id} readOnly rows={4} value={props.value} class="mono" />
          ) : (
            <input id={id} readOnly value={props.value} class="mono" />
          )}
          <button
            type="button"
            onClick={() =>
              void navigator.clipboard?.writeText(props.value).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? t("common.copied") : t("common.copy")}
          </button>
        </div>
      )}
    </Field>
  );
}
