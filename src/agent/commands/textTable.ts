import Table from 'cli-table3';

type Alignment = 'left' | 'right' | 'center';

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** Rows in aligned columns under a header, two spaces apart, no frame (cli-table3), no trailing spaces. */
export function alignedTable(head: string[], rows: readonly string[][], aligns?: Alignment[]): string {
  const table = new Table({
    head,
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    ...(aligns && { colAligns: aligns }),
  });
  table.push(...rows);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
