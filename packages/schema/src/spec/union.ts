import { Type, type TSchema, type TUnion } from '@sinclair/typebox';

type Schemas<L extends readonly { schema: TSchema }[]> = { -readonly [I in keyof L]: L[I]['schema'] };

/** The union of a spec list's schemas, typed as the tuple of them (so `Static` gives the union of their types). */
export function unionOf<const L extends readonly { schema: TSchema }[]>(list: L): TUnion<Schemas<L> & TSchema[]> {
  return Type.Union(list.map((s) => s.schema)) as unknown as TUnion<Schemas<L> & TSchema[]>;
}
