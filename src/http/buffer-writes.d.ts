// Node's Buffer has had latin1Write/utf8Write (offset, length) since its
// early days; @types/node does not declare them. They skip the encoding-name
// dispatch of Buffer#write on the response hot path.
declare global {
  interface Buffer {
    latin1Write(string: string, offset?: number, length?: number): number;
    utf8Write(string: string, offset?: number, length?: number): number;
  }
}
export {};
