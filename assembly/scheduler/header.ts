// The header: the few numbers the core publishes to JS, read through typed
// views on memory (no export call, no WebAssembly.Global access).
//
//   HEADER ┌──────────┬──────────┬──────────┬──────────┐
//        0 │ cmd  i32 │ out  i32 │ cap  i32 │timers i32│  region offsets, slot capacity,
//          ├──────────┴──────────┼──────────┴──────────┤  timers armed
//       16 │ low  f64            │ time f64            │  lower bound of the next
//          ├──────────┬──────────┴─────────────────────┘  deadline; wheel time
//       32 │outCap i32│fired i32 │tags i32  │direct i32│  slots the ready ring holds; timers the
//          └──────────┴──────────┴──────────┴──────────┘  last fireNext fired; where the tag
//                                                         table is; disarms JS made itself

import { Header } from "./constants";

/** Address of the header (static data, 8-aligned). */
export const HEADER: usize = memory.data(Header.BYTES, 8);
