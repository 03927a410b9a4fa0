/**
 * Adds sections to a report page written earlier by writeReport (e.g. a shipped model version's
 * training report), keeping what it has: the new sections are rendered exactly as writeReport
 * renders them and placed after the old ones under their own heading. Appending again replaces the
 * sections appended before (the page carries a marker), so regenerating is idempotent.
 */
import { renderReportHtml, type ReportSection } from './report.js';

const START = '<!-- streamlens:appended-sections -->';
const END = '<!-- /streamlens:appended-sections -->';

export async function appendSectionsToReportHtml(html: string, heading: string, sections: ReportSection[], generatedAt = new Date().toISOString()): Promise<string> {
  const bodyEnd = html.lastIndexOf('</body>');
  if (bodyEnd < 0 || !html.includes('<p class="meta">')) throw new Error('appendSectionsToReportHtml: not a report page written by writeReport (no meta line or </body>)');
  const start = html.indexOf(START);
  const kept = start >= 0 ? html.slice(0, start) + html.slice(html.indexOf(END) + END.length) : html;
  const fresh = await renderReportHtml({ title: heading, generatedAt, sections });
  const metaAt = fresh.indexOf('<p class="meta">');
  const body = fresh.slice(fresh.indexOf('\n', metaAt) + 1, fresh.lastIndexOf('</body>'));
  const block = `${START}\n<section><h1>${fresh.slice(fresh.indexOf('<h1>') + 4, fresh.indexOf('</h1>'))}</h1>${fresh.slice(metaAt, fresh.indexOf('\n', metaAt))}</section>\n${body}${END}\n`;
  const at = kept.lastIndexOf('</body>');
  return kept.slice(0, at) + block + kept.slice(at);
}
