import { degrees, PDFDocument, rgb, StandardFonts } from 'pdf-lib';

/** Largest PDF a platform administrator may upload. */
export const MAX_PDF_BYTES = 10 * 1024 * 1024;

/** Standard fonts are WinAnsi-encoded: anything outside printable ASCII is shown as `?`. */
const printable = (text: string) => text.replace(/[^\x20-\x7e]/g, '?');

/** The line every page carries: who received this copy, and when. */
export function watermarkLine(email: string, at: Date, ndaVersion: number): string {
  return printable(`Confidential - provided to ${email} on ${at.toISOString()} under NDA version ${ndaVersion}`);
}

/** Parses `bytes` as a PDF (encrypted PDFs are refused: they could not be watermarked). */
export async function loadPdf(bytes: Uint8Array): Promise<PDFDocument> {
  return PDFDocument.load(bytes, { updateMetadata: false });
}

/**
 * Returns a copy of the PDF with the requester's address and the time on every page: a line at the
 * foot and a faint diagonal mark across the page, plus the same line in the document's metadata.
 * A leaked copy names whom it was released to.
 */
export async function watermarkPdf(bytes: Uint8Array, line: string): Promise<Uint8Array> {
  const pdf = await loadPdf(bytes);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const page of pdf.getPages()) {
    const { width, height } = page.getSize();
    const size = Math.max(5, Math.min(8, (width - 40) / Math.max(1, font.widthOfTextAtSize(line, 1))));
    page.drawText(line, { x: 20, y: 12, size, font, color: rgb(0.35, 0.35, 0.35) });
    const diagonalSize = Math.max(8, Math.min(18, (Math.hypot(width, height) * 0.8) / Math.max(1, font.widthOfTextAtSize(line, 1))));
    page.drawText(line, { x: width * 0.1, y: height * 0.2, size: diagonalSize, font, color: rgb(0.6, 0.6, 0.6), opacity: 0.25, rotate: degrees((Math.atan2(height, width) * 180) / Math.PI) });
  }
  pdf.setSubject(line);
  pdf.setKeywords(['confidential', line]);
  return pdf.save();
}
