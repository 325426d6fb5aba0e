/** The button under (or above) a list that asks for its next page, in a row of its own. */
export function LoadMoreButton({
  rowClassName,
  buttonClassName = 'btn btn-ghost',
  loading,
  label,
  loadingLabel,
  onClick,
  testId,
}: {
  rowClassName: string;
  buttonClassName?: string;
  loading: boolean;
  label: string;
  loadingLabel: string;
  onClick: () => void;
  testId: string;
}) {
  return (
    <div className={rowClassName}>
      <button
        type="button"
        className={buttonClassName}
        onClick={onClick}
        disabled={loading}
        data-testid={testId}
      >
        {loading ? loadingLabel : label}
      </button>
    </div>
  );
}
