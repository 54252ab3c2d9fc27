-- SPDX-License-Identifier: MIT
-- Workload for sqlite3 under tests/programs/run.sh, fed on stdin:
--   sqlite3 -init init.sql shop.db < workload.sql
-- Creates shop.db in the current directory, fills it, queries it, shrinks
-- it, copies it to backup.db.  Output is deterministic (no time, no
-- random(), no paths).  The last statement fails on purpose, so the exit
-- status is 1.

PRAGMA page_size = 4096;
PRAGMA journal_mode = DELETE;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;

CREATE TABLE city(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                  lat REAL, lon REAL);
CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                      city_id INTEGER NOT NULL REFERENCES city(id),
                      score REAL NOT NULL);
CREATE TABLE item(id INTEGER PRIMARY KEY, label TEXT NOT NULL, price REAL NOT NULL);
CREATE TABLE orders(id INTEGER PRIMARY KEY,
                    customer_id INTEGER NOT NULL REFERENCES customer(id),
                    item_id INTEGER NOT NULL REFERENCES item(id),
                    qty INTEGER NOT NULL, day INTEGER NOT NULL, note TEXT);

BEGIN;
INSERT INTO city(name, lat, lon) VALUES
  ('Aberdeen', 57.1497, -2.0943), ('Bergen', 60.3913, 5.3221),
  ('Cork', 51.8985, -8.4756), ('Delft', 52.0116, 4.3571),
  ('Essen', 51.4556, 7.0116), ('Faro', 37.0194, -7.9304),
  ('Genoa', 44.4056, 8.9463), ('Hamar', 60.7945, 11.0680);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT INTO customer(id, name, city_id, score)
SELECT i, printf('cust-%05d', i), 1 + (i * 7) % 8, ((i * 7919) % 10007) / 100.0 FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO item(id, label, price)
SELECT i, printf('item-%08x', i * 2654435761 % 4294967296), round(1.5 + (i * i % 997) / 7.0, 2) FROM n;
COMMIT;

-- 40000 orders in 4 transactions, pseudo-random but deterministic.
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO orders(customer_id, item_id, qty, day, note)
SELECT 1 + (i * 48271) % 3000, 1 + (i * 16807) % 200, 1 + i % 9, i % 365,
       CASE WHEN i % 13 = 0 THEN 'gift' WHEN i % 17 = 0 THEN 'express' END FROM n;
COMMIT;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 10001 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO orders(customer_id, item_id, qty, day, note)
SELECT 1 + (i * 48271) % 3000, 1 + (i * 16807) % 200, 1 + i % 9, i % 365,
       CASE WHEN i % 13 = 0 THEN 'gift' WHEN i % 17 = 0 THEN 'express' END FROM n;
COMMIT;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 20001 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
INSERT INTO orders(customer_id, item_id, qty, day, note)
SELECT 1 + (i * 48271) % 3000, 1 + (i * 16807) % 200, 1 + i % 9, i % 365,
       CASE WHEN i % 13 = 0 THEN 'gift' WHEN i % 17 = 0 THEN 'express' END FROM n;
COMMIT;

CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_item_day ON orders(item_id, day);
CREATE INDEX customer_city ON customer(city_id, score DESC);
ANALYZE;

SELECT 'counts', (SELECT count(*) FROM city), (SELECT count(*) FROM customer),
       (SELECT count(*) FROM item), (SELECT count(*) FROM orders);

-- Aggregates per city, joined through customers and orders.
SELECT c.name AS city, count(*) AS orders, sum(o.qty) AS units,
       printf('%.2f', sum(o.qty * i.price)) AS revenue,
       printf('%.6f', avg(o.qty * i.price)) AS avg_order
FROM orders o JOIN customer cu ON cu.id = o.customer_id
              JOIN city c ON c.id = cu.city_id
              JOIN item i ON i.id = o.item_id
GROUP BY c.id ORDER BY sum(o.qty * i.price) DESC;

-- Top customers, ties broken by id.
SELECT cu.name, c.name AS city, count(o.id) AS n,
       printf('%10.3f', sum(o.qty * i.price)) AS spent
FROM customer cu JOIN city c ON c.id = cu.city_id
                 JOIN orders o ON o.customer_id = cu.id
                 JOIN item i ON i.id = o.item_id
GROUP BY cu.id ORDER BY sum(o.qty * i.price) DESC, cu.id LIMIT 10;

-- Window functions: running total per month for one item.
SELECT day / 30 AS month, sum(qty) AS units,
       sum(sum(qty)) OVER (ORDER BY day / 30) AS running,
       printf('%.4f', avg(sum(qty)) OVER (ORDER BY day / 30 ROWS 2 PRECEDING)) AS avg3
FROM orders WHERE item_id = 42 GROUP BY day / 30 ORDER BY month;

-- Floating point: statistics and great-circle distances.
SELECT printf('%.6f', avg(score)) AS mean,
       printf('%.6f', sqrt(avg(score * score) - avg(score) * avg(score))) AS stddev,
       printf('%.6e', sum(1.0 / (score + 1))) AS harmonic_sum,
       printf('%.10f', exp(avg(ln(score + 1)))) AS geomean
FROM customer;
SELECT a.name AS from_city, b.name AS to_city,
       printf('%.3f', 6371.0 * 2 * asin(sqrt(
         power(sin(radians(b.lat - a.lat) / 2), 2) +
         cos(radians(a.lat)) * cos(radians(b.lat)) *
         power(sin(radians(b.lon - a.lon) / 2), 2)))) AS km
FROM city a JOIN city b ON a.id < b.id ORDER BY km + 0 DESC LIMIT 8;

-- Subqueries, HAVING, LIKE, group_concat, CASE.
SELECT note, count(*), min(day), max(day), total(qty) FROM orders GROUP BY note ORDER BY note;
SELECT i.label, count(*) AS n FROM orders o JOIN item i ON i.id = o.item_id
WHERE o.note = 'express' GROUP BY i.id HAVING count(*) >= 12 ORDER BY n DESC, i.id LIMIT 6;
SELECT group_concat(name, ',') FROM (SELECT name FROM city WHERE name LIKE '%e%' ORDER BY name);
SELECT CASE WHEN score < 25 THEN 'low' WHEN score < 75 THEN 'mid' ELSE 'high' END AS band,
       count(*), printf('%.3f', avg(score))
FROM customer GROUP BY band ORDER BY band;

-- A rolled-back transaction changes nothing.
BEGIN;
DELETE FROM orders WHERE day < 200;
SELECT 'inside', count(*) FROM orders;
ROLLBACK;
SELECT 'after rollback', count(*) FROM orders;

-- Updates and deletes that commit, then shrink the file.
BEGIN;
UPDATE customer SET score = round(score * 1.1, 3) WHERE city_id IN (2, 4);
DELETE FROM orders WHERE day >= 200 OR customer_id % 5 = 0;
COMMIT;
SELECT 'after delete', count(*), sum(qty) FROM orders;
PRAGMA page_count;
PRAGMA freelist_count;
VACUUM;
PRAGMA page_count;
PRAGMA freelist_count;
PRAGMA integrity_check;
VACUUM INTO 'backup.db';

SELECT 'done';
SELECT * FROM no_such_table;
