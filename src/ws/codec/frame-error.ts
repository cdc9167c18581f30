/**
 * From a core's ERROR record to the WsProtocolError the protocol layer gets:
 * the close code of each FrameError and a message that names the problem.
 */
import { WsProtocolError } from "./codec-core.js";
import { FrameError } from "./constants.js";

/** The WsProtocolError for FrameError `code`; `detail` is the opcode or 7-bit length the record carries. */
export function frameError(code: number, detail: number, maxFrameSize: number): WsProtocolError {
  switch (code) {
    case FrameError.RSV_BITS:
      return new WsProtocolError(1002, "RSV2 or RSV3 is set, and no negotiated extension defines them");
    case FrameError.UNEXPECTED_RSV1:
      return new WsProtocolError(1002, "RSV1 is set on a frame where it must be clear (no permessage-deflate, a continuation or a control frame)");
    case FrameError.RESERVED_OPCODE:
      return new WsProtocolError(1002, `reserved opcode ${detail}`);
    case FrameError.CONTROL_FRAGMENTED:
      return new WsProtocolError(1002, `control frame (opcode ${detail}) without FIN: control frames must not be fragmented`);
    case FrameError.CONTROL_TOO_LONG:
      return new WsProtocolError(1002, `control frame payload length ${detail} is over 125 bytes`);
    case FrameError.NO_MESSAGE_TO_CONTINUE:
      return new WsProtocolError(1002, "continuation frame without a fragmented message to continue");
    case FrameError.MESSAGE_INTERRUPTED:
      return new WsProtocolError(1002, `new data frame (opcode ${detail}) inside a fragmented message`);
    case FrameError.UNMASKED:
      return new WsProtocolError(1002, "unmasked frame: a client must mask every frame");
    case FrameError.LENGTH_TOP_BIT:
      return new WsProtocolError(1002, "64-bit payload length with its most significant bit set");
    case FrameError.FRAME_TOO_LARGE:
      return new WsProtocolError(1009, `frame payload length is over maxFrameSize (${maxFrameSize} bytes)`);
    case FrameError.INVALID_UTF8:
      return new WsProtocolError(1007, "text message is not valid UTF-8");
    default:
      throw new Error(`ws codec: unknown frame error ${code}`);
  }
}
