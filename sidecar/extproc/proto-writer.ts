// Writes proto3 wire format into one reusable scratch buffer. A sub-message
// is opened with room for a five-byte length, written in place, and closed by
// writing its real length and moving its bytes down over the unused room: no
// size pass and no buffer per sub-message.

import { WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './proto-reader.ts';

const MAX_LENGTH_BYTES = 5;

export class ProtoWriter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;

  /** Start a message; `prefix` bytes are left for a header the caller writes into finish()'s copy (gRPC framing). */
  reset(prefix = 0): this {
    this.pos = prefix;
    return this;
  }

  /** A copy of what was written, prefix included (the scratch buffer is reused by the next message). */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  varintField(field: number, v: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  boolField(field: number, v: boolean): void {
    this.tag(field, WIRE_VARINT);
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  doubleField(field: number, v: number): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }

  stringField(field: number, s: string): void {
    this.tag(field, WIRE_LEN);
    // A UTF-8 string takes at most three bytes per UTF-16 unit.
    if (s.length < 0x80 / 3) {
      this.ensure(1 + s.length * 3);
      const start = this.pos + 1;
      const n = this.buf.write(s, start);
      this.buf[this.pos] = n;
      this.pos = start + n;
      return;
    }
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos);
  }

  bytesField(field: number, b: Uint8Array | string): void {
    const bytes = typeof b === 'string' ? Buffer.from(b, 'base64') : b;
    this.tag(field, WIRE_LEN);
    this.varint(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Start a length-delimited sub-message; returns where it starts, for close(). */
  open(field: number): number {
    this.tag(field, WIRE_LEN);
    this.ensure(MAX_LENGTH_BYTES);
    const at = this.pos;
    this.pos += MAX_LENGTH_BYTES;
    return at;
  }

  close(at: number): void {
    const start = at + MAX_LENGTH_BYTES;
    const len = this.pos - start;
    this.pos = at;
    this.varint(len);
    if (this.pos !== start) this.buf.copyWithin(this.pos, start, start + len);
    this.pos += len;
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  private varint(v: number): void {
    this.ensure(10);
    const buf = this.buf;
    // Values here are non-negative and below 2^53 (lengths, enums, seconds).
    while (v > 0x7f) {
      buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[this.pos++] = v;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}
