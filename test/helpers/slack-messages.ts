/** Reading cosjob's messages as Slack stores them, shared by the e2e tests and the bench. */

/** The `region|jobId` values of a message's Approve buttons, in order. */
export function approveValues(message: { blocks?: unknown[] } | undefined): string[] {
  const values: string[] = [];
  for (const block of (message?.blocks ?? []) as {
    type?: string;
    elements?: { action_id?: string; value?: string }[];
  }[]) {
    if (block.type !== 'actions') continue;
    for (const element of block.elements ?? []) {
      if (element.action_id === 'cosjob_approve' && element.value) values.push(element.value);
    }
  }
  return values;
}
