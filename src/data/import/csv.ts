/**
 * A small RFC 4180 CSV reader (quoted fields, doubled quotes, CRLF, a header row) for the
 * preference CSV of an image-folder import. Rows come back as objects keyed by the header.
 */
import { InputError } from '../../errors.js';

/** One parsed data row and its 1-based line number in the file (for messages). */
export interface CsvRow {
  readonly line: number;
  readonly values: Record<string, string>;
}

/**
 * Parses CSV text with a header row. A row with a different number of fields, an unclosed
 * quote, or a duplicated header is an InputError naming the line.
 * @example parseCsv('prompt,chosen\n"a, b",x.png\n', 'p.csv') // { header: ['prompt', 'chosen'], rows: [{ line: 2, values: { prompt: 'a, b', chosen: 'x.png' } }] }
 */
export function parseCsv(text: string, source: string): { header: string[]; rows: CsvRow[] } {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += c;
  }
  if (quoted) throw new InputError(`${source}:${recordLine}: a quoted field is never closed; close it with '"'`);
  if (field !== '' || fields.length > 0) endRecord();
  const head = records.shift();
  if (!head) throw new InputError(`${source}: the CSV is empty; expected a header row such as 'prompt,chosen,rejected'`);
  const header = head.fields.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '') throw new InputError(`${source}:${head.line}: the header has an empty column name`);
    if (seen.has(h)) throw new InputError(`${source}:${head.line}: column '${h}' appears twice in the header`);
    seen.add(h);
  }
  const rows = records.map((r) => {
    if (r.fields.length !== header.length) throw new InputError(`${source}:${r.line}: expected ${header.length} fields like the header, got ${r.fields.length}; quote fields that contain commas`);
    const values: Record<string, string> = {};
    header.forEach((h, k) => (values[h] = r.fields[k]!));
    return { line: r.line, values };
  });
  return { header, rows };
}
