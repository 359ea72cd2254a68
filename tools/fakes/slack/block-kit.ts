/**
 * An independent check of Block Kit's documented limits (@slack/types JSDoc, docs.slack.dev), used by the
 * fake to refuse what Slack would refuse and by tests as an oracle for the builders. Returns one line
 * per problem, empty when the blocks are acceptable.
 */
export function blockKitProblems(blocks: unknown, surface: 'message' | 'modal' | 'home'): string[] {
  const problems: string[] = [];
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  const maxBlocks = surface === 'message' ? 50 : 100;
  if (blocks.length > maxBlocks) problems.push(`${blocks.length} blocks; at most ${maxBlocks}`);
  const blockIds = new Set<string>();
  blocks.forEach((block, index) => {
    const where = `blocks[${index}]`;
    if (!isRecord(block) || typeof block.type !== 'string') {
      problems.push(`${where} has no type`);
      return;
    }
    if (block.block_id !== undefined) {
      const id = block.block_id;
      if (typeof id !== 'string' || id.length === 0 || id.length > 255)
        problems.push(`${where}.block_id length`);
      else if (blockIds.has(id)) problems.push(`${where}.block_id ${id} is not unique`);
      else blockIds.add(id);
    }
    switch (block.type) {
      case 'section':
        if (block.text === undefined && block.fields === undefined)
          problems.push(`${where} needs text or fields`);
        if (block.text !== undefined) checkText(block.text, 3000, `${where}.text`, problems);
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields) || block.fields.length > 10)
            problems.push(`${where}.fields: at most 10`);
          else
            block.fields.forEach((f, i) => {
              checkText(f, 2000, `${where}.fields[${i}]`, problems);
            });
        }
        if (block.accessory !== undefined) checkElement(block.accessory, `${where}.accessory`, problems);
        break;
      case 'header':
        checkText(block.text, 150, `${where}.text`, problems, 'plain_text');
        break;
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) {
          problems.push(`${where}.elements: 1 to 10`);
        } else {
          block.elements.forEach((e, i) => {
            if (isRecord(e) && e.type === 'image') return;
            checkText(e, 3000, `${where}.elements[${i}]`, problems);
          });
        }
        break;
      case 'actions': {
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) {
          problems.push(`${where}.elements: 1 to 25`);
          break;
        }
        const actionIds = new Set<string>();
        block.elements.forEach((e, i) => {
          checkElement(e, `${where}.elements[${i}]`, problems);
          const id = isRecord(e) ? e.action_id : undefined;
          if (typeof id === 'string') {
            if (actionIds.has(id)) problems.push(`${where}.elements[${i}].action_id ${id} is not unique`);
            actionIds.add(id);
          }
        });
        break;
      }
      case 'input':
        if (surface === 'message') problems.push(`${where}: input blocks belong in modals`);
        checkText(block.label, 2000, `${where}.label`, problems, 'plain_text');
        if (block.hint !== undefined) checkText(block.hint, 2000, `${where}.hint`, problems, 'plain_text');
        checkElement(block.element, `${where}.element`, problems);
        break;
      case 'divider':
      case 'image':
      case 'rich_text':
      case 'markdown':
        break;
      default:
        problems.push(`${where}: unexpected block type ${block.type}`);
    }
  });
  return problems;
}

/** Modal-level limits plus the blocks inside. */
export function viewProblems(view: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (view.type !== 'modal') problems.push('view.type must be "modal"');
  checkText(view.title, 24, 'view.title', problems, 'plain_text');
  if (view.submit !== undefined) checkText(view.submit, 24, 'view.submit', problems, 'plain_text');
  if (view.close !== undefined) checkText(view.close, 24, 'view.close', problems, 'plain_text');
  if (view.private_metadata !== undefined) {
    if (typeof view.private_metadata !== 'string' || view.private_metadata.length > 3000) {
      problems.push('view.private_metadata: a string of at most 3000 characters');
    }
  }
  if (view.callback_id !== undefined) {
    if (typeof view.callback_id !== 'string' || view.callback_id.length > 255)
      problems.push('view.callback_id length');
  }
  const blocks = view.blocks;
  problems.push(...blockKitProblems(blocks, 'modal'));
  if (
    Array.isArray(blocks) &&
    blocks.some((b) => isRecord(b) && b.type === 'input') &&
    view.submit === undefined
  ) {
    problems.push('view.submit is required when the view has input blocks');
  }
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkText(
  value: unknown,
  max: number,
  where: string,
  problems: string[],
  only?: 'plain_text' | 'mrkdwn',
): void {
  if (!isRecord(value) || (value.type !== 'plain_text' && value.type !== 'mrkdwn')) {
    problems.push(`${where} must be a text object`);
    return;
  }
  if (only && value.type !== only) problems.push(`${where} must be ${only}`);
  if (typeof value.text !== 'string' || value.text.length === 0) problems.push(`${where}.text is empty`);
  else if (value.text.length > max)
    problems.push(`${where}.text is ${value.text.length} characters; at most ${max}`);
}

function checkElement(element: unknown, where: string, problems: string[]): void {
  if (!isRecord(element)) {
    problems.push(`${where} must be an object`);
    return;
  }
  if (element.action_id !== undefined) {
    if (
      typeof element.action_id !== 'string' ||
      element.action_id.length === 0 ||
      element.action_id.length > 255
    ) {
      problems.push(`${where}.action_id length`);
    }
  }
  if (element.type === 'button') {
    checkText(element.text, 75, `${where}.text`, problems, 'plain_text');
    if (element.value !== undefined && (typeof element.value !== 'string' || element.value.length > 2000)) {
      problems.push(`${where}.value: a string of at most 2000 characters`);
    }
    if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') {
      problems.push(`${where}.style`);
    }
    if (element.confirm !== undefined) {
      const confirm = element.confirm;
      if (!isRecord(confirm)) problems.push(`${where}.confirm must be an object`);
      else {
        if (confirm.title !== undefined)
          checkText(confirm.title, 100, `${where}.confirm.title`, problems, 'plain_text');
        checkText(confirm.text, 300, `${where}.confirm.text`, problems);
        if (confirm.confirm !== undefined)
          checkText(confirm.confirm, 30, `${where}.confirm.confirm`, problems, 'plain_text');
        if (confirm.deny !== undefined)
          checkText(confirm.deny, 30, `${where}.confirm.deny`, problems, 'plain_text');
      }
    }
  } else if (element.type === 'plain_text_input') {
    const max = element.max_length;
    if (max !== undefined && (typeof max !== 'number' || max < 1 || max > 3000))
      problems.push(`${where}.max_length: 1 to 3000`);
    if (element.placeholder !== undefined)
      checkText(element.placeholder, 150, `${where}.placeholder`, problems, 'plain_text');
  }
}
