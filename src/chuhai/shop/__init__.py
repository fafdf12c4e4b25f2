"""The buyer's side of a seller's shop: storefront, product pages, the cart."""
