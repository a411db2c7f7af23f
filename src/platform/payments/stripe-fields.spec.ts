import { SubscriptionsService } from '../../modules/billing/subscriptions.service';
import { fieldOf, idOf, isRecord } from './stripe-fields';

describe('reading Stripe objects without casts', () => {
  it('reads members of objects only', () => {
    expect(isRecord({ a: 1 })).toBe(true);
    expect([null, [], 'x', 1, undefined].map(isRecord)).toEqual([false, false, false, false, false]);
    expect(fieldOf({ a: { b: 2 } }, 'a')).toEqual({ b: 2 });
    expect(fieldOf(fieldOf({ a: { b: 2 } }, 'a'), 'b')).toBe(2);
    expect([fieldOf(null, 'a'), fieldOf('a', 'length'), fieldOf([1], '0')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('takes an id from a reference sent as an id or as the expanded object', () => {
    expect(idOf('sub_1')).toBe('sub_1');
    expect(idOf({ id: 'sub_1', object: 'subscription' })).toBe('sub_1');
    expect([idOf(''), idOf({ id: '' }), idOf({ id: 7 }), idOf(null), idOf(undefined)]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('finds an invoice’s subscription in either API version’s shape', () => {
    const of = (invoice: Record<string, unknown>) => SubscriptionsService.invoiceSubscription(invoice);
    // API 2025-03-31 and later
    expect(of({ id: 'in_1', parent: { subscription_details: { subscription: 'sub_new' } } })).toBe('sub_new');
    expect(of({ id: 'in_1', parent: { subscription_details: { subscription: { id: 'sub_x' } } } })).toBe(
      'sub_x',
    );
    // before: a top-level member
    expect(of({ id: 'in_1', subscription: 'sub_old' })).toBe('sub_old');
    expect(of({ id: 'in_1', parent: { subscription_details: null }, subscription: { id: 'sub_o' } })).toBe(
      'sub_o',
    );
    // none
    expect(of({ id: 'in_1', parent: null })).toBeNull();
    expect(of({ id: 'in_1', parent: { quote_details: {} }, subscription: null })).toBeNull();
  });
});
