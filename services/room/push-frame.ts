import type { Message } from '../../shared/contracts/saver';
import { encodeServerFrame, PushKind } from '../../shared/protocol/codec';
import type { PushKindName } from '../../shared/protocol/codes';

const kindOf: Record<PushKindName, PushKind> = {
  unicast: PushKind.PUSH_UNICAST,
  user: PushKind.PUSH_USER,
  tag: PushKind.PUSH_TAG,
  topic: PushKind.PUSH_TOPIC,
  broadcast: PushKind.PUSH_BROADCAST,
};

/** A Push frame for a message (encoded once, written to however many sockets). */
export function encodePush(m: Message): Uint8Array {
  return encodeServerFrame({
    push: {
      id: m.id,
      app: m.app,
      payload: m.payload,
      kind: kindOf[m.kind] ?? PushKind.PUSH_UNICAST,
      topic: m.topic ?? '',
      created: m.created,
      expires: m.expires,
      qos: m.qos,
    },
  });
}

