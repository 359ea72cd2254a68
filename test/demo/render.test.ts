/** The Block Kit → plain text renderer the demo prints with, on hand-written blocks and on the real builders. */
import { describe, expect, it } from 'vitest';
import {
  mrkdwnToText,
  renderBlocksAsText,
  renderMessageAsText,
  renderModalAsText,
} from '../../demo/render.js';
import { cancelReasonModal } from '../../src/slack/blocks/cancel-modal.js';
import { jobCard } from '../../src/slack/blocks/job-card.js';
import { DEFAULT_LIFECYCLE, JobStore } from '../../tools/emulator/server.js';

const names = { UALICE: 'alice', UBOB: 'bob' };

describe('mrkdwnToText', () => {
  it('shows mentions by name when known, by id otherwise, and keeps a label Slack sent', () => {
    expect(mrkdwnToText('<@UALICE> and <@UNOBODY> and <@UOTHER|carol>', { userNames: names })).toBe(
      '@alice and @UNOBODY and @carol',
    );
  });

  it('shows a date token as its fallback text and links as "label (url)"', () => {
    expect(mrkdwnToText('at <!date^1767225600^{date_short_pretty} at {time}|2026-01-01T00:00:00.000Z>')).toBe(
      'at 2026-01-01T00:00:00.000Z',
    );
    expect(mrkdwnToText('see <https://example.test/x|the docs> or <https://example.test/y>')).toBe(
      'see the docs (https://example.test/x) or https://example.test/y',
    );
    expect(mrkdwnToText('<!subteam^S0APPROVE|@approvers> <!here> <#C0CHAN|ops>')).toBe(
      '@approvers @here #ops',
    );
    expect(mrkdwnToText('<!subteam^S0APPROVE>')).toBe('@S0APPROVE');
  });

  it('drops emphasis markers but leaves snake_case, arithmetic and code spans alone', () => {
    expect(mrkdwnToText('*Approved* by _someone_ ~late~')).toBe('Approved by someone late');
    expect(mrkdwnToText('snake_case_name and 2*3*4')).toBe('snake_case_name and 2*3*4');
    expect(mrkdwnToText('id `*not_bold*` here')).toBe('id `*not_bold*` here');
  });

  it('restores escaped characters once, so typed entities stay as typed', () => {
    expect(mrkdwnToText('a &lt;b&gt; &amp; c')).toBe('a <b> & c');
    expect(mrkdwnToText('&amp;lt;')).toBe('&lt;');
  });
});

describe('renderBlocksAsText', () => {
  it('renders header, section text and fields, context, buttons and a divider in order', () => {
    const text = renderBlocksAsText(
      [
        { type: 'header', text: { type: 'plain_text', text: 'Job card' } },
        { type: 'section', text: { type: 'mrkdwn', text: '*Operation:* copy\nsecond line' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Region*\nap-guangzhou' },
            { type: 'mrkdwn', text: 'no label' },
          ],
        },
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: 'Posted by <@UBOB>' },
            { type: 'image', image_url: 'https://example.test/i.png', alt_text: 'logo' },
          ],
        },
        { type: 'divider' },
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Approve' }, value: 'v' },
            { type: 'button', action_id: 'b', text: { type: 'plain_text', text: 'Cancel' }, value: 'v' },
            { type: 'static_select', action_id: 'c' },
          ],
        },
      ],
      { userNames: names },
    );
    expect(text.split('\n')).toEqual([
      'Job card',
      '────────',
      'Operation: copy',
      'second line',
      'Region: ap-guangzhou',
      'no label',
      'Posted by @bob · [image: logo]',
      '────────',
      '[ Approve ] [ Cancel ] [static_select]',
    ]);
  });

  it('renders rich_text and markdown blocks as their text', () => {
    const text = renderBlocksAsText(
      [
        {
          type: 'rich_text',
          elements: [
            {
              type: 'rich_text_section',
              elements: [
                { type: 'text', text: 'hello ' },
                { type: 'user', user_id: 'UALICE' },
              ],
            },
            {
              type: 'rich_text_list',
              elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'one' }] }],
            },
          ],
        },
        { type: 'markdown', text: '**bold** stays markdown' },
      ],
      { userNames: names },
    );
    expect(text).toBe('hello @alice\n• one\n**bold** stays markdown');
  });

  it('never throws on unexpected input: it marks what it cannot show', () => {
    expect(renderBlocksAsText('not blocks')).toBe('[no blocks]');
    expect(renderBlocksAsText([null, { type: 'video' }, { nope: 1 }, { type: 'section', text: 42 }])).toBe(
      '[unreadable block]\n[unsupported block: video]\n[unsupported block: no type]',
    );
    expect(renderMessageAsText(7)).toBe('[no message]');
    expect(renderModalAsText(null)).toBe('[no view]');
  });
});

describe('the real builders, rendered', () => {
  const store = new JobStore({
    now: () => Date.UTC(2026, 0, 1, 9),
    lifecycle: { ...DEFAULT_LIFECYCLE },
    defaultUin: '100000000001',
  });
  const job = store.createJob(
    'ap-guangzhou',
    {
      clientRequestToken: 'render-test',
      confirmationRequired: true,
      description: 'Delete <!channel> uploads & <https://evil.test|Approve here>',
      priority: 1,
      roleArn: 'qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole',
      manifest: { objectArn: 'qcs::cos:ap-guangzhou:uid/1250000000:m-1250000000/list.csv', etag: '"abc"' },
      operation: { kind: 'COSDeleteObject' },
    },
    { status: 'Suspended', totalTasks: 1200 },
  );

  it('shows a pending card as a reader sees it: title, warning, fields, buttons, no raw tokens', () => {
    const card = jobCard({
      account: 'default',
      region: 'ap-guangzhou',
      job,
      phase: { kind: 'pending' },
      approvals: { required: 2, voterIds: ['UALICE'] },
      postedAt: '2026-01-01T09:00:00.000Z',
    });
    const text = renderMessageAsText(card, { userNames: names });
    const lines = text.split('\n');
    expect(lines[0]).toBe('🗂️ COS batch job awaiting approval');
    expect(lines).toContain('Region: ap-guangzhou');
    expect(lines).toContain(`Job ID: \`${job.id}\``);
    expect(lines).toContain('Tasks: 1,200 tasks');
    expect(text).toContain('This job is destructive.');
    expect(text).toContain('Approvals: 1 of 2 approvals: @alice');
    expect(lines).toContain('[ Approve ] [ Cancel ] [ View audit trail ]');
    expect(lines).toContain('Posted 2026-01-01T09:00:00.000Z');
    // User text the builder escaped reads back literally, and no Slack token leaks into the output.
    expect(text).toContain('Description: Delete <!channel> uploads & <https://evil.test|Approve here>');
    expect(text).not.toMatch(/<@|<!date|&lt;|&amp;/);
  });

  it('shows the cancel dialog with its field, hint and both buttons', () => {
    const modal = cancelReasonModal({
      account: 'default',
      region: 'ap-guangzhou',
      jobId: job.id,
      channelId: 'C0DEMO',
      messageTs: '1767258000.000100',
      requireReason: false,
    });
    const lines = renderModalAsText(modal).split('\n');
    expect(lines[0]).toBe('Cancel COS job');
    expect(lines).toContain('Reason (optional):');
    expect(lines).toContain('  ▭ e.g. wrong manifest, duplicate of another job');
    expect(lines.some((l) => l.startsWith('  Kept in full in the audit trail.'))).toBe(true);
    expect(lines[lines.length - 1]).toBe('[ Keep job ] [ Cancel job ]');
  });

  it('falls back to the text of a message without blocks', () => {
    expect(renderMessageAsText({ text: '*hi* <@UBOB>', blocks: [] }, { userNames: names })).toBe('hi @bob');
  });
});
