-- Not in the seed: what the restaurants and menus lists need (issue 15).

-- Restaurants newest first: a restaurant's name is encrypted, so SQL cannot sort by it; the list pages by keyset
-- over (created_at, id) instead, which idx_restaurants_* do not serve (none has created_at).
CREATE INDEX idx_restaurants_created_id ON restaurants(created_at DESC, id DESC);
-- Menus in the order a restaurant shows them: idx_menus_restaurant_category has no unique tail, and keyset paging
-- needs one, or rows that tie on (restaurant_id, category, sort_order) at a page's edge are skipped.
CREATE INDEX idx_menus_restaurant_category_id ON menus(restaurant_id, category, sort_order, id);
