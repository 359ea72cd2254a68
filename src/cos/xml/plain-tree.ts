/**
 * A fast path for the common answer: plain, well-formed XML as COS and the emulator send it, read into the
 * same tree fast-xml-parser builds (document.ts), or `undefined` for anything else, which then goes
 * through document.ts unchanged. This scanner never refuses: every refusal, and the message it carries,
 * still comes from document.ts, so a hostile or broken body is answered exactly as before.
 *
 * Why, with figures: parsing one DescribeJob answer through document.ts (size check, CDATA rewrite, DTD
 * refusal, XMLValidator pass, XMLParser.parse) cost about as much CPU as a whole raw HTTP round trip over
 * loopback, which capped the COS client near half of raw undici's rate. Measured in one process, the two
 * paths interleaved (5 rounds, medians, 2-core machine under load average ~7 from other work, so absolute
 * figures are inflated): the emulator's 2.2 KB Suspended job 79 µs with this scanner against 462 µs through
 * fast-xml-parser, its 2.8 KB failed job 55 µs against 269 µs, CPU per parseDescribeJob (5–6×). What the
 * COS client adds to raw undici.request per DescribeJob (bench/probes/cos-client-cpu.ts, same conditions)
 * fell from 660–900 µs to 200–440 µs of CPU with this scanner and the transport changes of the same round,
 * the scanner the largest part. fast-xml-parser stays: it reads every body the scanner does not take, and test/cos/xml-plain-tree.test.ts checks that both give
 * identical results or identical refusals on generated, hostile, truncated and randomly damaged bodies.
 *
 * Accepted, and nothing else: an optional byte-order mark; an optional `<?xml version=… encoding=…
 * standalone=…?>` at the very start; one root element; elements named with ASCII letters, digits, `_`
 * and `-` (so no namespace prefix), none named like an Object.prototype member; attributes (ignored, as
 * document.ts ignores them) written `name="value"` or `name='value'` without `<`, `>` or `&`, each name
 * once; text with no `>` and no `\r` whose every `&` starts one of the references entities.ts decodes
 * into a character XML allows; CDATA sections inside leaf elements; whitespace between elements; at most
 * 20 levels. Comments, processing instructions, declarations, mixed content, text outside the root, a
 * second root, bodies over a third of MAX_RESPONSE_BYTES in characters, anything unclosed or mismatched:
 * `undefined`.
 */
import { referencedCharacter } from './entities.js';
import { MAX_RESPONSE_BYTES } from './response-body.js';

/** fast-xml-parser's list rule (document.ts): the element's name and, when needed, its dotted path. */
export type ListRule = (tagName: string, path: () => string) => boolean;

const MAX_DEPTH = 20;
/** The longest body taken: any string this long or shorter is within MAX_RESPONSE_BYTES as UTF-8. */
const MAX_CHARACTERS = Math.floor(MAX_RESPONSE_BYTES / 3);

const ATTRIBUTE = /[ \t\n]+([A-Za-z_][A-Za-z0-9_.:-]*)=(?:"[^"<>&\r]*"|'[^'<>&\r]*')/y;
const DECLARATION =
  /<\?xml[ \t\n]+version=(?:"1\.[0-9]"|'1\.[0-9]')(?:[ \t\n]+encoding=(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\n]+standalone=(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\n]*\?>/y;
/**
 * A reference entities.ts decodes and XMLValidator accepts (it takes `&#x` but not `&#X`); the code point
 * is checked below.
 */
const REFERENCE = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/y;

interface OpenElement {
  name: string;
  /** The element's children, created at the first one. */
  children: Record<string, unknown> | undefined;
  /** Whitespace between children (kept as fast-xml-parser keeps it, under `#text`). */
  whitespace: string;
  /** A leaf's decoded text so far. */
  text: string;
  /** Text other than whitespace, or a CDATA section, was seen: no child may follow. */
  hasContent: boolean;
}

/**
 * `text` with its references decoded, as entities.ts's decodeXmlText decodes them, when every `&` starts a
 * reference that decodes to a character XML allows; undefined otherwise. One pass that checks and decodes
 * (a check, then decodeXmlText's replace with a callback, was a tenth of a DescribeJob's scan).
 */
function decodedText(text: string): string | undefined {
  let at = text.indexOf('&');
  if (at < 0) return text;
  let decoded = '';
  let from = 0;
  while (at >= 0) {
    REFERENCE.lastIndex = at;
    const match = REFERENCE.exec(text);
    if (match === null) return undefined;
    const [whole, name, dec, hex] = match;
    const character = referencedCharacter(name, dec, hex);
    if (character === undefined) return undefined;
    decoded += text.slice(from, at) + character;
    from = at + whole.length;
    at = text.indexOf('&', from);
  }
  return decoded + text.slice(from);
}

/** fast-xml-parser refuses __proto__, constructor and prototype, and renames hasOwnProperty and the like. */
const UNUSABLE_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
]);

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a;
}

function skipWhitespace(xml: string, from: number): number {
  let at = from;
  while (isWhitespace(xml.charCodeAt(at))) at++;
  return at;
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f; // a-z A-Z _
}

function isNameCharacter(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d; // 0-9 -
}

/** The end of the name starting at `from`, or `from` itself when no name starts there. */
function nameEnd(xml: string, from: number): number {
  if (!isNameStart(xml.charCodeAt(from))) return from;
  let at = from + 1;
  while (isNameCharacter(xml.charCodeAt(at))) at++;
  return at;
}

function isWhitespaceBetween(xml: string, from: number, to: number): boolean {
  for (let at = from; at < to; at++) if (!isWhitespace(xml.charCodeAt(at))) return false;
  return true;
}

/** One scan's state that the helpers share: made once per body, not once per element. */
interface Scan {
  isList: ListRule;
  /** The element being added to its parent, for `path`. */
  adding: string;
  /** The dotted path of `adding`, built only when the list rule asks for it. */
  path: () => string;
}

function addChild(parent: OpenElement, name: string, value: unknown, scan: Scan): void {
  const children = parent.children ?? {};
  parent.children = children;
  scan.adding = name;
  const listed = scan.isList(name, scan.path);
  if (!Object.hasOwn(children, name)) {
    children[name] = listed ? [value] : value;
    return;
  }
  const existing = children[name];
  if (Array.isArray(existing)) existing.push(value);
  else children[name] = [existing, value];
}

function closedValue(element: OpenElement): unknown {
  if (element.children === undefined) return element.text;
  if (element.whitespace !== '') element.children['#text'] = element.whitespace;
  return element.children;
}

/** The tree fast-xml-parser would build for `xml`, when `xml` is plain XML as described above. */
export function plainXmlTree(xml: string, isList: ListRule): Record<string, unknown> | undefined {
  if (xml.length > MAX_CHARACTERS || xml.includes('\r')) return undefined;
  const stack: OpenElement[] = [];
  const scan: Scan = {
    isList,
    adding: '',
    path: () => `${stack.map((open) => open.name).join('.')}.${scan.adding}`,
  };
  let at = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (xml.startsWith('<?', at)) {
    DECLARATION.lastIndex = at;
    if (!DECLARATION.test(xml)) return undefined;
    at = DECLARATION.lastIndex;
  }
  at = skipWhitespace(xml, at);
  let document: Record<string, unknown> | undefined;
  while (document === undefined) {
    if (xml.charCodeAt(at) !== 0x3c /* < */) {
      // Text: only inside the root, up to the next tag.
      const open = stack[stack.length - 1];
      const end = xml.indexOf('<', at);
      if (open === undefined || end < 0) return undefined;
      const text = xml.slice(at, end);
      if (isWhitespaceBetween(xml, at, end)) {
        if (open.hasContent) open.text += text;
        else open.whitespace += text;
      } else {
        const decoded = open.children !== undefined || text.includes('>') ? undefined : decodedText(text);
        if (decoded === undefined) return undefined;
        if (!open.hasContent) open.text = open.whitespace;
        open.hasContent = true;
        open.text += decoded;
      }
      at = end;
      continue;
    }
    const next = xml.charCodeAt(at + 1);
    if (next === 0x2f /* / */) {
      const open = stack.pop();
      const end = at + 2 + (open?.name.length ?? 0);
      if (open === undefined || !xml.startsWith(open.name, at + 2) || isNameCharacter(xml.charCodeAt(end))) {
        return undefined;
      }
      at = skipWhitespace(xml, end);
      if (xml.charCodeAt(at) !== 0x3e /* > */) return undefined;
      at++;
      if (open.children === undefined && !open.hasContent) open.text = open.whitespace;
      const parent = stack[stack.length - 1];
      if (parent === undefined) document = { [open.name]: closedValue(open) };
      else addChild(parent, open.name, closedValue(open), scan);
      continue;
    }
    if (next === 0x21 /* ! */) {
      // Only CDATA, only inside an element that has no children.
      const open = stack[stack.length - 1];
      if (open === undefined || open.children !== undefined || !xml.startsWith('<![CDATA[', at)) {
        return undefined;
      }
      const end = xml.indexOf(']]>', at + 9);
      if (end < 0) return undefined;
      if (!open.hasContent) open.text = open.whitespace;
      open.hasContent = true;
      open.text += xml.slice(at + 9, end);
      at = end + 3;
      continue;
    }
    // An opening tag.
    const end = nameEnd(xml, at + 1);
    if (end === at + 1) return undefined;
    const name = xml.slice(at + 1, end);
    // Every Object.prototype name starts with a lower-case letter or `_`; COS's names mostly do not.
    const first = xml.charCodeAt(at + 1);
    if ((first >= 0x61 || first === 0x5f) && UNUSABLE_NAMES.has(name)) return undefined;
    at = end;
    let attributes: string[] | undefined;
    // Every attribute starts with whitespace: a tag that goes on with `>` or `/>` skips the regex.
    while (isWhitespace(xml.charCodeAt(at))) {
      ATTRIBUTE.lastIndex = at;
      const attribute = ATTRIBUTE.exec(xml);
      if (attribute === null) break;
      const attributeName = attribute[1] as string;
      attributes ??= [];
      if (attributes.includes(attributeName)) return undefined;
      attributes.push(attributeName);
      at = ATTRIBUTE.lastIndex;
    }
    at = skipWhitespace(xml, at);
    const parent = stack[stack.length - 1];
    if (parent?.hasContent === true) return undefined;
    if (xml.charCodeAt(at) === 0x2f /* / */ && xml.charCodeAt(at + 1) === 0x3e /* > */) {
      at += 2;
      if (parent === undefined) document = { [name]: '' };
      else addChild(parent, name, '', scan);
      continue;
    }
    if (xml.charCodeAt(at) !== 0x3e /* > */ || stack.length >= MAX_DEPTH) return undefined;
    at++;
    stack.push({ name, children: undefined, whitespace: '', text: '', hasContent: false });
  }
  return skipWhitespace(xml, at) === xml.length ? document : undefined;
}
