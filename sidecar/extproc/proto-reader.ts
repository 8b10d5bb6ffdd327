// Reads proto3 wire format from a Buffer. Sub-messages are read in place: a
// caller takes `end = r.len()` and loops while `r.pos < end`, so decoding
// allocates only the values it returns.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export class ProtoWireError extends Error {}

export class ProtoReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get end(): number {
    return this.buf.length;
  }

  /** A tag: field number `t >>> 3`, wire type `t & 7`. */
  tag(): number {
    return this.varint();
  }

  /** A varint as a number (exact below 2^53; bools and enums are small). */
  varint(): number {
    const buf = this.buf;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw new ProtoWireError('truncated varint');
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new ProtoWireError('varint too long');
  }

  /** The end of a length-delimited field that starts here. */
  len(): number {
    const n = this.varint();
    const end = this.pos + n;
    if (end > this.buf.length) throw new ProtoWireError('truncated field');
    return end;
  }

  string(): string {
    const end = this.len();
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  /** A view into the message (no copy), like protobufjs's reader over a Buffer. */
  bytes(): Buffer {
    const end = this.len();
    const b = this.buf.subarray(this.pos, end);
    this.pos = end;
    return b;
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) throw new ProtoWireError('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_FIXED64) this.pos += 8;
    else if (wire === WIRE_LEN) this.pos = this.len();
    else if (wire === WIRE_FIXED32) this.pos += 4;
    else throw new ProtoWireError(`unsupported wire type ${wire}`);
    if (this.pos > this.buf.length) throw new ProtoWireError('truncated field');
  }
}
