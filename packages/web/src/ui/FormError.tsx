// A form's error line: announced by screen readers when it appears (role="alert"), absent while there is none.

export function FormError({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
}
