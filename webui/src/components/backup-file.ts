/** The file chosen in the `backup-file` input of a submitted form (wizard welcome step, dashboard restore), or null. */
export function chosenBackup(form: EventTarget | null): File | null {
  const el = (form as HTMLFormElement | null)?.elements.namedItem("backup-file") as HTMLInputElement | null;
  return el?.files?.[0] ?? null;
}
