/**
 * Adds sections to a report page written earlier by writeReport (e.g. a shipped model version's
 * training report), keeping what it has: the new sections are rendered exactly as writeReport
 * renders them and placed after the old ones under their own heading. Appending again with the same
 * `block` name replaces the sections appended before under it (the page carries a marker per block),
 * so regenerating is idempotent; another block name adds its sections after the others.
 */
import { renderReportHtml, type ReportSection } from './report.js';

export async function appendSectionsToReportHtml(html: string, heading: string, sections: ReportSection[], generatedAt = new Date().toISOString(), block?: string): Promise<string> {
  if (block !== undefined && !/^[a-z0-9-]+$/.test(block)) throw new Error(`appendSectionsToReportHtml: block name '${block}' is not lower-case letters, digits and "-"`);
  const START = `<!-- streamlens:appended-sections${block ? `:${block}` : ''} -->`;
  const END = `<!-- /streamlens:appended-sections${block ? `:${block}` : ''} -->`;
  const bodyEnd = html.lastIndexOf('</body>');
  if (bodyEnd < 0 || !html.includes('<p class="meta">')) throw new Error('appendSectionsToReportHtml: not a report page written by writeReport (no meta line or </body>)');
  const start = html.indexOf(START);
  const kept = start >= 0 ? html.slice(0, start) + html.slice(html.indexOf(END) + END.length) : html;
  const fresh = await renderReportHtml({ title: heading, generatedAt, sections });
  const metaAt = fresh.indexOf('<p class="meta">');
  const body = fresh.slice(fresh.indexOf('\n', metaAt) + 1, fresh.lastIndexOf('</body>'));
  const appended = `${START}\n<section><h1>${fresh.slice(fresh.indexOf('<h1>') + 4, fresh.indexOf('</h1>'))}</h1>${fresh.slice(metaAt, fresh.indexOf('\n', metaAt))}</section>\n${body}${END}\n`;
  const at = kept.lastIndexOf('</body>');
  return kept.slice(0, at) + appended + kept.slice(at);
}
