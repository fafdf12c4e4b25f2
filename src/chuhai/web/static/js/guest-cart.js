// A visitor's cart before they sign in: kept in this browser (no stock is held for anonymous
// visitors); signing in moves it into their account's cart. Shared by the shop pages and the
// video player.
import { newKey } from "./page-api.js";

export const guestKey = (shop) => `chuhai-guest-cart-${shop}`;
export const guestCart = (shop) => JSON.parse(localStorage.getItem(guestKey(shop)) || "[]");

// ``touch``: how the visitor came to the item (analytics/attribution.py), sent along when
// the cart moves into their account so the order still knows where it came from.
export function addToGuestCart(shop, sku, product, touch) {
  const lines = guestCart(shop);
  const line = lines.find((l) => l.sku_id === sku);
  if (line) { line.quantity += 1; line.key = newKey(); if (touch) line.touch = touch; } else lines.push({ sku_id: sku, product_id: product, quantity: 1, key: newKey(), touch });
  localStorage.setItem(guestKey(shop), JSON.stringify(lines));
  return lines.reduce((s, l) => s + l.quantity, 0);
}
