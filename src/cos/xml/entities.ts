/**
 * XML text escaping and the one entity-decoding step. Only the five predefined entities and numeric
 * character references are ever decoded (see document.ts for why nothing else is expanded).
 */
const XML_ENTITY = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));/g;
/** The five entities XML predefines, by name, and the character each stands for. */
const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

/** Whether XML 1.0 allows the character (its Char production): no NUL, lone surrogates or U+FFFE/FFFF. */
export function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}

/**
 * The character a reference stands for, from its parts (a predefined entity's name, or a decimal or
 * hexadecimal code point), or undefined for an unknown name or a code point XML does not allow.
 */
export function referencedCharacter(
  name: string | undefined,
  dec: string | undefined,
  hex: string | undefined,
): string | undefined {
  if (name !== undefined) return PREDEFINED_ENTITIES[name];
  const codePoint = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
  return isXmlChar(codePoint) ? String.fromCodePoint(codePoint) : undefined;
}

/**
 * Decodes the five predefined entities and numeric character references in one pass, so `&amp;lt;`
 * becomes `&lt;` and not `<`. A reference to a code point XML does not allow (NUL, surrogates, beyond
 * U+10FFFF) and any other `&name;` stay as written: they are shown, never interpreted.
 */
export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    XML_ENTITY,
    (whole, name: string | undefined, dec: string | undefined, hex?: string) =>
      referencedCharacter(name, dec, hex) ?? whole,
  );
}

export function escapeXmlText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
