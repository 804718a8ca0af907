/** The preference CSV reader and the --columns parser: quoting, line numbers in errors, layouts. */
import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { parseColumnSpec, resolveColumns } from './columns.js';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and newlines, CRLF and a BOM', () => {
    const { header, rows } = parseCsv('\ufeffprompt,chosen\r\n"a ""big"", red cube",a.png\r\n"two\nlines",b.png\r\n\r\nlast,c.png', 'p.csv');
    expect(header).toEqual(['prompt', 'chosen']);
    expect(rows).toEqual([
      { line: 2, values: { prompt: 'a "big", red cube', chosen: 'a.png' } },
      { line: 3, values: { prompt: 'two\nlines', chosen: 'b.png' } },
      { line: 6, values: { prompt: 'last', chosen: 'c.png' } },
    ]);
  });

  it('names the line of a short row, an unclosed quote and a duplicated header', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n', 'p.csv')).toThrow(/p\.csv:3: expected 2 fields like the header, got 1/);
    expect(() => parseCsv('a,b\n1,"2\n', 'p.csv')).toThrow(/p\.csv:2: a quoted field is never closed/);
    expect(() => parseCsv('a,a\n', 'p.csv')).toThrow(/column 'a' appears twice/);
    expect(() => parseCsv('', 'p.csv')).toThrow(/the CSV is empty/);
  });
});

describe('columns', () => {
  it('parses --columns and rejects malformed entries', () => {
    expect(parseColumnSpec(' prompt=caption , chosen=img_w')).toEqual({ prompt: 'caption', chosen: 'img_w' });
    expect(() => parseColumnSpec('prompt')).toThrow(/expected 'field=column' entries/);
    expect(() => parseColumnSpec('prompt=')).toThrow(/expected 'field=column' entries/);
  });

  it('picks the layout from the columns, and a mapping wins over defaults', () => {
    expect(resolveColumns(['caption', 'jpg_0', 'jpg_1', 'label_0'], {}, undefined, 's').layout).toBe('label');
    expect(resolveColumns(['prompt', 'chosen', 'rejected', 'jpg_0'], {}, undefined, 's').layout).toBe('pairwise');
    expect(resolveColumns(['prompt', 'images', 'ranking'], {}, undefined, 's').layout).toBe('ranking');
    expect(resolveColumns(['prompt', 'caption', 'a', 'b'], { prompt: 'caption', chosen: 'a', rejected: 'b' }, undefined, 's').map).toMatchObject({ prompt: 'caption', chosen: 'a', rejected: 'b' });
    expect(() => resolveColumns(['prompt', 'image', 'rank'], {}, undefined, 's')).toThrow(/needs a group column \(prompt_id\)/);
    expect(() => resolveColumns(['prompt', 'chosen'], {}, 'pairwise', 's')).toThrow(/the pairwise layout needs columns for rejected/);
  });
});
