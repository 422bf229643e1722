/**
 * Decodes the Pinterest Tag's own fields (tag id, event, hashed e-mail, order value, currency,
 * order id, line items, partner) from the merged payload view.
 */
import type { LineItem, TagFields } from '../types.js';
import { ED_FIELDS, LINE_ITEM_FIELDS } from '../pinterest/params.js';
import { isJsonObject, type Json } from '../json.js';
import { LIMITS } from './limits.js';
import { emailValues, hashAlgo } from './identifiers.js';
import { asList, asText, pick, type Payload } from './payload.js';

/** Decodes tag fields; `null` values where the payload says nothing. */
export function tagFields(payload: Payload): TagFields {
  const event = asText(pick(payload, 'event')?.value);
  const email = emailValues(pick(payload, 'pd.em')?.value)[0] ?? emailValues(pick(payload, 'ed.user_data.em')?.value)[0];
  const currency = asText(pick(payload, `ed.${ED_FIELDS.currency}`)?.value);
  return {
    id: short(asText(pick(payload, 'tid')?.value)),
    event: event === null || event.trim() === '' ? null : short(event.trim().toLowerCase()),
    hashedEmail: email === undefined ? null : { value: email, algo: hashAlgo(email) },
    value: toNumber(pick(payload, `ed.${ED_FIELDS.value}`)?.value),
    currency: currency === null || currency.trim() === '' ? null : short(currency.trim().toUpperCase(), 16),
    orderId: short(asText(pick(payload, `ed.${ED_FIELDS.orderId}`)?.value)),
    lineItems: asList(pick(payload, `ed.${ED_FIELDS.lineItems}`)?.value)
      .slice(0, LIMITS.lineItems)
      .filter(isJsonObject)
      .map(lineItem),
    partner: short(asText(pick(payload, `pd.${ED_FIELDS.partner}`)?.value) ?? asText(pick(payload, `ed.${ED_FIELDS.partner}`)?.value)),
  };
}

function lineItem(item: { [key: string]: Json }): LineItem {
  return {
    id: short(asText(item[LINE_ITEM_FIELDS.id])),
    name: short(asText(item[LINE_ITEM_FIELDS.name])),
    price: toNumber(item[LINE_ITEM_FIELDS.price]),
    quantity: toNumber(item[LINE_ITEM_FIELDS.quantity]),
  };
}

/** A number, or a decimal string (`"10.00"`, `"1,5"` is not one); anything else `null`. */
export function toNumber(value: Json | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (!/^-?\d{1,15}(\.\d{1,10})?$/.test(text)) return null;
  return Number(text);
}

function short(text: string | null, max = 256): string | null {
  if (text === null) return null;
  return text.length > max ? text.slice(0, max) : text;
}
