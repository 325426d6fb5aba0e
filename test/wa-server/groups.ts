import { randomBytes } from 'node:crypto';

import { type BinaryNode, proto, unpadRandomMax16, writeRandomPadMax16 } from 'baileys';
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord,
} from 'baileys/lib/Signal/Group/index.js';
import { ProtocolAddress } from 'libsignal';

import { type Account, type Companion, companionAddress, lidJid, pnJid, takeBundle } from './accounts.js';
import { bytes, child, children, node, splitJid, unixSeconds } from './nodes.js';
import type { CipherType } from './peer.js';
import type { SentByClient, WaServer } from './server.js';

/**
 * Groups in the stand-in. A group is addressed by hidden id (`addressing_mode="lid"`), as WhatsApp
 * groups are now; its participants are accounts, whose phones the stand-in plays.
 *
 * Group messages use sender keys, as in WhatsApp: a sender hands each device of the group its
 * sender key once (a `senderKeyDistributionMessage` inside a 1:1 `pkmsg`/`msg`), then encrypts
 * every message once for all (`<enc type="skmsg">`). Both directions work here:
 * - `deliver` plays a participant's phone writing to the group: the linked devices of the other
 *   participants get the stanza, with the sender named by hidden id (`participant`) and number
 *   (`participant_pn`). The 1:1 part uses the phone's session with the device, which Baileys keys
 *   by the hidden id in this case: a phone that talked to the device only by number (`deliver`
 *   with `via: 'pn'`) cannot reach it here.
 * - What the linked device sends to a group is read by every participant's phone that holds its
 *   sender key (from the `<participants>` of this or an earlier stanza) and recorded in the
 *   server's `sent`, one entry per participant, as 1:1 sends are.
 */

export interface Group {
  /** `…@g.us`. */
  id: string;
  subject: string;
  creator: Account;
  createdAt: Date;
  participants: Account[];
}

const newGroupId = () => `120363${String(randomBytes(6).readUIntBE(0, 6)).padStart(12, '0')}@g.us`;
const newMessageId = () => `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;

export class Groups {
  private readonly groups = new Map<string, Group>();
  /** The sender keys each phone holds (its own and those handed to it), by phone and key name. */
  private readonly senderKeys = new Map<string, SenderKeyRecord>();
  /** Which device already has which sender's key for which group: `group sender device`. */
  private readonly distributed = new Set<string>();

  constructor(private readonly server: WaServer) {
    server.handleIq('w:g2', (_connection, iq) => this.answerIq(iq));
  }

  /** A group of these accounts; the first is its creator (and admin). */
  create(input: { subject: string; participants: Account[]; id?: string }): Group {
    const [creator] = input.participants;
    if (!creator) {
      throw new Error('a group needs participants');
    }
    const group: Group = {
      id: input.id ?? newGroupId(),
      subject: input.subject,
      creator,
      createdAt: new Date(),
      participants: [...input.participants],
    };
    this.groups.set(group.id, group);
    return group;
  }

  get(id: string): Group | undefined {
    return this.groups.get(id);
  }

  /**
   * `from`'s phone writes `message` to the group: every linked device of the other participants
   * gets it (with `from`'s sender key the first time). `withoutPn` leaves out the sender's
   * number, as WhatsApp does when the recipient may not see it. Returns the message id.
   */
  async deliver(
    group: Group,
    from: Account,
    message: proto.IMessage,
    options: { id?: string; at?: Date; withoutPn?: boolean } = {},
  ): Promise<string> {
    const id = options.id ?? newMessageId();
    const store = this.storeOf(from);
    const name = senderKeyName(group.id, from.pn);
    const distribution = await new GroupSessionBuilder(store).create(name);
    const ciphertext = await new GroupCipher(store, name).encrypt(
      writeRandomPadMax16(proto.Message.encode(message).finish()),
    );
    for (const companion of this.devicesOf(group, from)) {
      const content: BinaryNode[] = [];
      const handedOver = `${group.id} ${from.pn} ${companionAddress(companion)}`;
      if (!this.distributed.has(handedOver)) {
        const address = companionAddress(companion);
        const { type, ciphertext: sealed } = await from.phone.encrypt(
          address,
          {
            senderKeyDistributionMessage: {
              groupId: group.id,
              axolotlSenderKeyDistributionMessage: distribution.serialize(),
            },
          },
          from.phone.hasSession(address) ? undefined : takeBundle(companion),
        );
        content.push(node('enc', { v: '2', type }, sealed));
        this.distributed.add(handedOver);
      }
      content.push(node('enc', { v: '2', type: 'skmsg' }, Buffer.from(ciphertext)));
      this.server.push(
        companion,
        node(
          'message',
          {
            from: group.id,
            participant: lidJid(from),
            participant_pn: options.withoutPn ? undefined : pnJid(from),
            addressing_mode: 'lid',
            id,
            t: unixSeconds(options.at),
            type: message.reactionMessage ? 'reaction' : 'text',
            notify: from.name,
          },
          content,
        ),
      );
    }
    return id;
  }

  /**
   * A message the linked device sent to a group: each participant's phone takes the sender key
   * meant for it, then reads the group ciphertext.
   */
  async received(companion: Companion, stanza: BinaryNode): Promise<void> {
    const group = this.groups.get(stanza.attrs.to ?? '');
    if (!group) {
      return;
    }
    const sender = companionAddress(companion);
    for (const target of children(child(stanza, 'participants'), 'to')) {
      const jid = target.attrs.jid ?? '';
      const holder = this.server.findAccount(jid);
      const enc = child(target, 'enc');
      if (!holder || !enc || splitJid(jid).device !== 0) {
        continue; // devices other than phones are not played
      }
      const message = await holder.phone.decrypt(sender, enc.attrs.type as CipherType, bytes(enc)!);
      const distribution = message.senderKeyDistributionMessage?.axolotlSenderKeyDistributionMessage;
      if (distribution) {
        await new GroupSessionBuilder(this.storeOf(holder)).process(
          senderKeyName(group.id, sender),
          new SenderKeyDistributionMessage(null, null, null, null, distribution),
        );
      }
    }
    const ciphertext = bytes(children(stanza, 'enc').find((enc) => enc.attrs.type === 'skmsg'));
    if (!ciphertext) {
      return;
    }
    for (const holder of group.participants) {
      const store = this.storeOf(holder);
      const name = senderKeyName(group.id, sender);
      if ((await store.loadSenderKey(name)).isEmpty()) {
        continue; // never got this device's sender key
      }
      const plain = await new GroupCipher(store, name).decrypt(ciphertext);
      const sent: SentByClient = {
        id: stanza.attrs.id ?? '',
        from: companion.account.pn,
        to: group.id,
        type: stanza.attrs.type ?? 'text',
        recipient: `${holder.pn}:0`,
        message: proto.Message.decode(unpadRandomMax16(plain)),
        stanza,
      };
      this.server.sent.push(sent);
      this.server.emit('sent', sent);
    }
  }

  /**
   * `from`'s phone reports `ids`, which `to`'s linked device sent to the group, delivered to (or
   * read on) it: a `<receipt>` from the group, naming the participant by hidden id.
   */
  receipt(
    group: Group,
    from: Account,
    to: Account,
    ids: string[],
    type?: 'read' | 'played',
    at?: Date,
  ): void {
    for (const companion of to.companions.values()) {
      this.server.connectionOf(companion)?.send(
        node(
          'receipt',
          {
            from: group.id,
            participant: lidJid(from),
            id: ids[0],
            t: unixSeconds(at),
            ...(type ? { type } : {}),
          },
          ids.length > 1
            ? [
                node(
                  'list',
                  {},
                  ids.slice(1).map((id) => node('item', { id })),
                ),
              ]
            : undefined,
        ),
      );
    }
  }

  /** `w:g2`: the group metadata query Baileys makes before sending to a group; the rest falls through. */
  private answerIq(iq: BinaryNode): BinaryNode | undefined {
    if (!child(iq, 'query')) {
      return undefined;
    }
    const group = this.groups.get(iq.attrs.to ?? '');
    const reply = { from: iq.attrs.to, id: iq.attrs.id };
    if (!group) {
      return node('iq', { ...reply, type: 'error' }, [
        node('error', { code: '404', text: 'item-not-found' }),
      ]);
    }
    const created = unixSeconds(group.createdAt);
    return node('iq', { ...reply, type: 'result' }, [
      node(
        'group',
        {
          id: splitJid(group.id).user,
          subject: group.subject,
          s_t: created,
          s_o: lidJid(group.creator),
          s_o_pn: pnJid(group.creator),
          creation: created,
          creator: lidJid(group.creator),
          creator_pn: pnJid(group.creator),
          addressing_mode: 'lid',
          size: String(group.participants.length),
        },
        group.participants.map((participant) =>
          node('participant', {
            jid: lidJid(participant),
            phone_number: pnJid(participant),
            type: participant === group.creator ? 'superadmin' : undefined,
          }),
        ),
      ),
    ]);
  }

  /** The linked devices of the group's participants other than `except`. */
  private devicesOf(group: Group, except: Account): Companion[] {
    return group.participants
      .filter((participant) => participant !== except)
      .flatMap((participant) => [...participant.companions.values()])
      .filter((companion) => !companion.loggedOut && companion.signedPreKey);
  }

  private storeOf(holder: Account) {
    const keyOf = (name: SenderKeyName) => `${holder.pn} ${name.toString()}`;
    return {
      loadSenderKey: (name: SenderKeyName) =>
        Promise.resolve(this.senderKeys.get(keyOf(name)) ?? new SenderKeyRecord()),
      storeSenderKey: (name: SenderKeyName, record: SenderKeyRecord) => {
        this.senderKeys.set(keyOf(name), record);
        return Promise.resolve();
      },
    };
  }
}

/** The name a phone files a sender's key under: the group and the sending device. */
const senderKeyName = (groupId: string, sender: string) =>
  new SenderKeyName(groupId, new ProtocolAddress(sender, 0));
