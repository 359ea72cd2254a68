/**
 * Block Kit as plain text, so the demo can show in a terminal what people would see in Slack.
 *
 * Pure and total: the blocks come back from the fake Slack as parsed JSON, so every shape is checked and
 * anything unexpected is shown as a marker (`[unsupported block: x]`) rather than throwing. mrkdwn is
 * reduced to what a reader needs: mentions become @names, `<!date>` tokens their fallback text, links
 * "label (url)", bold/italic/strike markers are dropped, and the three escaped characters are restored.
 * Inline code keeps its backticks, because that is how ids are set apart.
 */

export interface RenderOptions {
  /** Display names for `<@U…>` mentions; an id without a name shows as `@U…`. */
  userNames?: Readonly<Record<string, string>>;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringField(value: Json, key: string): string | undefined {
  const field = value[key];
  return typeof field === 'string' ? field : undefined;
}

/** One `<…>` token as Slack would display it. */
function renderToken(body: string, options: RenderOptions): string {
  const bar = body.indexOf('|');
  const target = bar === -1 ? body : body.slice(0, bar);
  const label = bar === -1 ? undefined : body.slice(bar + 1);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `@${options.userNames?.[id] ?? label ?? id}`;
  }
  if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
  if (target.startsWith('!subteam^')) {
    const shown = label ?? `@${target.slice('!subteam^'.length)}`;
    return shown.startsWith('@') ? shown : `@${shown}`;
  }
  // <!date^…|fallback>: the fallback is what clients that cannot format the date show.
  if (target.startsWith('!date^')) return label ?? target;
  if (target === '!here' || target === '!channel' || target === '!everyone') return `@${target.slice(1)}`;
  if (target.startsWith('!')) return label ?? target;
  if (label === undefined || label === target) return target;
  return `${label} (${target})`;
}

function stripEmphasis(text: string): string {
  // Only markers that open after a non-word character and close before one, as Slack parses them, so
  // "5*3*2" or snake_case_names are left alone.
  return text
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?=$|[^\w*])/g, '$1$2')
    .replace(/(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?=$|[^\w_])/g, '$1$2')
    .replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?=$|[^\w~])/g, '$1$2');
}

function unescapeEntities(text: string): string {
  // &amp; last, so "&amp;lt;" (a literal "&lt;" typed by someone) does not become "<".
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** mrkdwn → what a reader sees, as plain text. */
export function mrkdwnToText(text: string, options: RenderOptions = {}): string {
  // Inline code is shown verbatim (entities aside): emphasis markers inside it are literal in Slack too.
  const parts = text.split(/(`[^`\n]*`)/);
  return parts
    .map((part, index) => {
      if (index % 2 === 1) return unescapeEntities(part);
      const tokensRendered = part.replace(/<([^<>\n]*)>/g, (_match, body: string) =>
        renderToken(body, options),
      );
      return unescapeEntities(stripEmphasis(tokensRendered));
    })
    .join('');
}

/** A text object (plain_text or mrkdwn) as text; undefined when it is not one. */
function textObject(value: unknown, options: RenderOptions): string | undefined {
  if (!isRecord(value)) return undefined;
  const text = stringField(value, 'text');
  if (text === undefined) return undefined;
  return value.type === 'mrkdwn' ? mrkdwnToText(text, options) : text;
}

/** A section field is usually "*Label*\nvalue"; shown as "Label: value" on one line. */
function renderField(field: unknown, options: RenderOptions): string {
  if (!isRecord(field)) return '[unreadable field]';
  const raw = stringField(field, 'text') ?? '';
  if (field.type === 'mrkdwn') {
    const [first = '', ...rest] = raw.split('\n');
    const label = /^\*([^*\n]+)\*$/.exec(first.trim());
    if (label && rest.length > 0) {
      return `${mrkdwnToText(label[1] ?? '', options)}: ${rest.map((l) => mrkdwnToText(l, options)).join(' ')}`;
    }
  }
  return (textObject(field, options) ?? '').split('\n').join(' ');
}

function renderElement(element: unknown, options: RenderOptions): string {
  if (!isRecord(element)) return '[unreadable element]';
  switch (element.type) {
    case 'button':
      return `[ ${textObject(element.text, options) ?? 'button'} ]`;
    case 'image':
      return `[image: ${stringField(element, 'alt_text') ?? 'no description'}]`;
    case 'plain_text':
    case 'mrkdwn':
      return textObject(element, options) ?? '';
    default:
      return `[${typeof element.type === 'string' ? element.type : 'element'}]`;
  }
}

/** Text inside rich_text blocks, whose elements nest (sections, lists, quotes, preformatted). */
function richText(node: unknown, options: RenderOptions): string {
  if (Array.isArray(node)) return node.map((child) => richText(child, options)).join('');
  if (!isRecord(node)) return '';
  switch (node.type) {
    case 'text':
      return stringField(node, 'text') ?? '';
    case 'user': {
      const id = stringField(node, 'user_id') ?? '';
      return `@${options.userNames?.[id] ?? id}`;
    }
    case 'usergroup':
      return `@${stringField(node, 'usergroup_id') ?? ''}`;
    case 'channel':
      return `#${stringField(node, 'channel_id') ?? ''}`;
    case 'link':
      return stringField(node, 'text') ?? stringField(node, 'url') ?? '';
    case 'emoji':
      return `:${stringField(node, 'name') ?? ''}:`;
    case 'broadcast':
      return `@${stringField(node, 'range') ?? 'here'}`;
    case 'rich_text_list':
      return Array.isArray(node.elements)
        ? node.elements.map((item) => `• ${richText(item, options)}`).join('\n')
        : '';
    case 'rich_text_section':
    case 'rich_text_quote':
    case 'rich_text_preformatted':
      return richText(node.elements, options);
    default:
      return '';
  }
}

function underline(text: string): string {
  // Code points, not UTF-16 units: close enough to the width a terminal gives an emoji title.
  return '─'.repeat(Math.max(3, Array.from(text).length));
}

function renderBlock(block: unknown, options: RenderOptions): string[] {
  if (!isRecord(block)) return ['[unreadable block]'];
  switch (block.type) {
    case 'header': {
      const title = textObject(block.text, options) ?? '';
      return [title, underline(title)];
    }
    case 'section': {
      const lines: string[] = [];
      const text = textObject(block.text, options);
      if (text !== undefined) lines.push(...text.split('\n'));
      if (Array.isArray(block.fields)) lines.push(...block.fields.map((f) => renderField(f, options)));
      if (block.accessory !== undefined) lines.push(renderElement(block.accessory, options));
      return lines;
    }
    case 'context': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      return elements
        .map((e) => renderElement(e, options))
        .join(' · ')
        .split('\n');
    }
    case 'actions': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      return [elements.map((e) => renderElement(e, options)).join(' ')];
    }
    case 'divider':
      return ['────────'];
    case 'input': {
      const label = textObject(block.label, options) ?? 'Input';
      const element = isRecord(block.element) ? block.element : {};
      const placeholder = textObject(element.placeholder, options);
      // Builders often say "(optional)" in the label already.
      const optional = block.optional === true && !/optional/i.test(label) ? ' (optional)' : '';
      const lines = [`${label}${optional}:`, `  ▭ ${placeholder ?? ''}`.trimEnd()];
      const hint = textObject(block.hint, options);
      if (hint !== undefined) lines.push(`  ${hint}`);
      return lines;
    }
    case 'image':
      return [`[image: ${stringField(block, 'alt_text') ?? 'no description'}]`];
    case 'markdown':
      return (stringField(block, 'text') ?? '').split('\n');
    case 'rich_text': {
      // Each top-level element (section, list, quote, preformatted) is its own paragraph.
      const elements = Array.isArray(block.elements) ? block.elements : [];
      return elements
        .map((element) => richText(element, options))
        .join('\n')
        .split('\n');
    }
    default:
      return [`[unsupported block: ${typeof block.type === 'string' ? block.type : 'no type'}]`];
  }
}

/** Every block, in order, as lines of plain text. */
export function renderBlocksAsText(blocks: unknown, options: RenderOptions = {}): string {
  if (!Array.isArray(blocks)) return '[no blocks]';
  return blocks.flatMap((block) => renderBlock(block, options)).join('\n');
}

/** A message: its blocks when it has any, otherwise its fallback text (mrkdwn). */
export function renderMessageAsText(message: unknown, options: RenderOptions = {}): string {
  if (!isRecord(message)) return '[no message]';
  if (Array.isArray(message.blocks) && message.blocks.length > 0) {
    return renderBlocksAsText(message.blocks, options);
  }
  return mrkdwnToText(stringField(message, 'text') ?? '', options);
}

/** A modal: title, blocks, then its close and submit buttons. */
export function renderModalAsText(view: unknown, options: RenderOptions = {}): string {
  if (!isRecord(view)) return '[no view]';
  const title = textObject(view.title, options) ?? 'Dialog';
  const lines = [title, underline(title), renderBlocksAsText(view.blocks, options)];
  const buttons = [textObject(view.close, options), textObject(view.submit, options)]
    .filter((label): label is string => label !== undefined)
    .map((label) => `[ ${label} ]`);
  if (buttons.length > 0) lines.push(buttons.join(' '));
  return lines.join('\n');
}
