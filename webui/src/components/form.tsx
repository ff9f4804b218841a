import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { ApiError } from "../api.js";
import { t } from "../i18n/i18n.js";

let fieldSeq = 0;

/**
 * The current value of the named control of a submitted form, read from the DOM: a fast typist (or a
 * test) can press Enter before the last keystroke's state update has rendered, so submit handlers must
 * not rely on component state for what was typed.
 */
export function formValue(form: EventTarget | null, name: string): string {
  const el = (form as HTMLFormElement | null)?.elements.namedItem(name);
  return el && "value" in el ? String((el as unknown as HTMLInputElement).value) : "";
}

/** A labelled form field: label, control (given the ids), help text and error tied with aria-describedby. */
export function Field(props: {
  label: string;
  help?: string;
  error?: string | null;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ComponentChildren;
}) {
  const [id] = useState(() => `f${++fieldSeq}`);
  const describedBy = [props.help ? `${id}-help` : "", props.error ? `${id}-err` : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.children({ id, describedBy: describedBy || undefined, invalid: !!props.error })}
      {props.help && (
        <small id={`${id}-help`} class="help">
          {props.help}
        </small>
      )}
      {props.error && (
        <small id={`${id}-err`} class="error" role="alert">
          {props.error}
        </small>
      )}
    </div>
  );
}

/**
 * Runs one async action at a time: `busy` is true while it runs and a second call (a double click) is
 * ignored; errors land in `error` (an ApiError or any Error) for the form to show.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);
  let running = false;
  const run = async (fn: () => Promise<void>) => {
    if (busy || running) return;
    running = true;
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err as Error);
    } finally {
      running = false;
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/** A general error line for errors no field explains. */
export function ErrorLine(props: { error: Error | null }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {t("common.error", { message: props.error.message })}
    </p>
  );
}

/** The submit button: disabled while busy, says so for screen readers. */
export function Submit(props: { busy: boolean; label: string; disabled?: boolean }) {
  return (
    <button type="submit" class="primary" disabled={props.busy || props.disabled} aria-busy={props.busy}>
      {props.busy ? t("common.working") : props.label}
    </button>
  );
}
