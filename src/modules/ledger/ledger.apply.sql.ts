/**
 * ledger_apply: one SQL round trip per batch. Items are processed in order, as TigerBeetle does,
 * with per-item results; balances are held in arrays while the loop runs and written back
 * set-based, so a hot account is updated once per batch, not once per transfer.
 *
 * Lock order, the same in every batch so batches cannot deadlock each other:
 *   1. new transaction rows, inserted in idempotency-key order (claims the keys; a concurrent
 *      batch with the same key waits for us, then sees our row as a replay);
 *   2. pending transactions targeted by post/void/expire, FOR UPDATE in id order;
 *   3. accounts, FOR NO KEY UPDATE in id order (no key changes, so FK checks are not blocked).
 *
 * Ops: 'create' (posted or pending), 'post' (full, or partial with per-leg amounts), 'void',
 * 'expire' (a void by the sweeper). Entries: kind 'hold' (pending created), 'posted', 'post',
 * 'void', 'expire'; side 'D' on the source, 'C' on the destination of every leg.
 */
export const LEDGER_APPLY_FUNCTION = String.raw`
CREATE OR REPLACE FUNCTION ledger_apply(
  p_tenant text, p_now timestamptz, p_atomic boolean,
  p_ops text[], p_ids text[], p_keys text[], p_hashes text[],
  p_pending boolean[], p_timeouts integer[], p_metadata jsonb[],
  p_leg_item integer[], p_leg_src text[], p_leg_dst text[], p_leg_amount bigint[], p_leg_currency text[]
) RETURNS TABLE (item integer, transaction_id text, status text, replayed boolean,
                 error_code text, error_detail text)
LANGUAGE plpgsql AS $fn$
DECLARE
  n integer := coalesce(array_length(p_ops, 1), 0);
  max_amt constant bigint := 9223372036854775807;
  r_txn text[]; r_status text[]; r_replayed boolean[]; r_code text[]; r_detail text[];
  claimed text[];
  t_status text[]; t_timeout timestamptz[]; t_posted text[]; t_meta jsonb[]; t_tid tid[];
  w_item integer[]; w_srcid text[]; w_dstid text[]; w_amt bigint[]; w_post bigint[]; w_cur text[];
  w_src integer[]; w_dst integer[];
  it_start integer[]; it_count integer[];
  a_id text[]; a_cur text[]; a_flags integer[]; a_lim bigint[];
  a_dp bigint[]; a_dpo bigint[]; a_cp bigint[]; a_cpo bigint[]; a_seq bigint[]; a_last timestamptz[];
  e_acc integer[]; e_txn text[]; e_leg integer[]; e_kind text[]; e_side text[]; e_cur text[];
  e_pd bigint[]; e_pod bigint[]; e_seq bigint[]; e_at timestamptz[];
  e_dp bigint[]; e_dpo bigint[]; e_cp bigint[]; e_cpo bigint[];
  e_accid text[]; acc_ids text[]; f_ids text[] := '{}'; a_max bigint; amt_abs numeric;
  has_other boolean; n_create integer; any_key boolean; fast_ok boolean := false; fast_try boolean;
  ne integer := 0; mark integer;
  i integer; l integer; e integer; s integer; d integer; x integer;
  op text; kind text; amt bigint; pd bigint; pod bigint; fail text; detail text; req text;
  legs_json jsonb[]; at_text text; evt_prefix text;
  a_tid tid[];
  rec record;
BEGIN
  IF n = 0 THEN RETURN; END IF;
  r_txn := array_fill(NULL::text, ARRAY[n]);
  r_status := array_fill(NULL::text, ARRAY[n]);
  r_replayed := array_fill(false, ARRAY[n]);
  r_code := array_fill(NULL::text, ARRAY[n]);
  r_detail := array_fill(NULL::text, ARRAY[n]);
  t_status := array_fill(NULL::text, ARRAY[n]);
  t_timeout := array_fill(NULL::timestamptz, ARRAY[n]);
  t_posted := array_fill(NULL::text, ARRAY[n]);
  t_meta := array_fill(NULL::jsonb, ARRAY[n]);
  t_tid := array_fill(NULL::tid, ARRAY[n]);
  it_start := array_fill(0, ARRAY[n]);
  it_count := array_fill(0, ARRAY[n]);
  SELECT count(*) FILTER (WHERE o <> 'create') > 0, count(*) FILTER (WHERE o = 'create')
  INTO has_other, n_create FROM unnest(p_ops) AS o;
  any_key := EXISTS (SELECT 1 FROM unnest(p_keys) AS k WHERE k IS NOT NULL);

  -- 1. Claim transaction ids and idempotency keys for new transactions. Rows are inserted in key
  --    order so two batches sharing keys cannot deadlock; with one leg per item (the common case)
  --    the leg arrays are built without grouping. Without keys there is nothing to claim: the ids
  --    are new (UUIDv7, made by the service), so a plain insert replaces the speculative insertion
  --    of ON CONFLICT (a second WAL record per row, ~40 % of the insert's time in a side test).
  IF NOT has_other AND NOT any_key AND coalesce(array_length(p_leg_item, 1), 0) = n THEN
    INSERT INTO ledger_transactions (tenant_id, transaction_id, request_hash, status,
      leg_sources, leg_destinations, leg_amounts, leg_currencies, timeout_at, metadata, created_at)
    SELECT p_tenant, x.id, x.hash, CASE WHEN x.pend THEN 'pending' ELSE 'posted' END,
           ARRAY[x.s], ARRAY[x.d], ARRAY[x.a], ARRAY[x.c],
           CASE WHEN x.pend AND x.tmo IS NOT NULL THEN p_now + make_interval(secs => x.tmo) END,
           coalesce(x.meta, '{}'::jsonb), p_now
    FROM unnest(p_ids, p_hashes, p_pending, p_timeouts, p_metadata, p_leg_src, p_leg_dst, p_leg_amount,
                p_leg_currency) AS x(id, hash, pend, tmo, meta, s, d, a, c);
    claimed := p_ids;
  ELSIF NOT has_other AND coalesce(array_length(p_leg_item, 1), 0) = n THEN
    INSERT INTO ledger_transactions AS t (tenant_id, transaction_id, idempotency_key, request_hash, status,
      leg_sources, leg_destinations, leg_amounts, leg_currencies, timeout_at, metadata, created_at)
    SELECT p_tenant, x.id, x.key, x.hash, CASE WHEN x.pend THEN 'pending' ELSE 'posted' END,
           ARRAY[x.s], ARRAY[x.d], ARRAY[x.a], ARRAY[x.c],
           CASE WHEN x.pend AND x.tmo IS NOT NULL THEN p_now + make_interval(secs => x.tmo) END,
           coalesce(x.meta, '{}'::jsonb), p_now
    FROM unnest(p_ids, p_keys, p_hashes, p_pending, p_timeouts, p_metadata, p_leg_src, p_leg_dst, p_leg_amount,
                p_leg_currency) AS x(id, key, hash, pend, tmo, meta, s, d, a, c)
    ORDER BY x.key NULLS LAST, x.id
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS x = ROW_COUNT;
    claimed := CASE WHEN x = n THEN p_ids ELSE ARRAY(
      SELECT lt.transaction_id FROM ledger_transactions lt
      WHERE lt.tenant_id = p_tenant AND lt.transaction_id = ANY (p_ids)) END;
  ELSE
  WITH legs AS (
    SELECT u.li, array_agg(u.s ORDER BY u.k) AS srcs, array_agg(u.d ORDER BY u.k) AS dsts,
           array_agg(u.a ORDER BY u.k) AS amts, array_agg(u.c ORDER BY u.k) AS curs
    FROM unnest(p_leg_item, p_leg_src, p_leg_dst, p_leg_amount, p_leg_currency) WITH ORDINALITY
         AS u(li, s, d, a, c, k)
    GROUP BY u.li
  ), ins AS (
    INSERT INTO ledger_transactions AS t (tenant_id, transaction_id, idempotency_key, request_hash, status,
      leg_sources, leg_destinations, leg_amounts, leg_currencies, timeout_at, metadata, created_at)
    SELECT p_tenant, x.id, x.key, x.hash, CASE WHEN x.pend THEN 'pending' ELSE 'posted' END,
           legs.srcs, legs.dsts, legs.amts, legs.curs,
           CASE WHEN x.pend AND x.tmo IS NOT NULL THEN p_now + make_interval(secs => x.tmo) END,
           coalesce(x.meta, '{}'::jsonb), p_now
    FROM unnest(p_ops, p_ids, p_keys, p_hashes, p_pending, p_timeouts, p_metadata) WITH ORDINALITY
         AS x(op, id, key, hash, pend, tmo, meta, i)
    JOIN legs ON legs.li = x.i
    WHERE x.op = 'create'
    ORDER BY x.key NULLS LAST, x.id
    ON CONFLICT DO NOTHING
    RETURNING t.transaction_id
  )
  SELECT coalesce(array_agg(ins.transaction_id), '{}') INTO claimed FROM ins;
  END IF;

  -- Keys already taken: the same request is a replay, another request a conflict.
  IF cardinality(claimed) < n_create THEN
  FOR rec IN
    SELECT x.i, t.transaction_id AS tid, t.status AS st, t.request_hash = x.hash AS same
    FROM unnest(p_ops, p_ids, p_keys, p_hashes) WITH ORDINALITY AS x(op, id, key, hash, i)
    LEFT JOIN unnest(claimed) AS c(id) ON c.id = x.id
    JOIN ledger_transactions t ON t.tenant_id = p_tenant AND t.idempotency_key = x.key
    WHERE x.op = 'create' AND x.key IS NOT NULL AND c.id IS NULL
  LOOP
    IF rec.same THEN
      r_txn[rec.i] := rec.tid; r_status[rec.i] := rec.st; r_replayed[rec.i] := true;
    ELSE
      r_code[rec.i] := 'IDEMPOTENCY_CONFLICT'; r_detail[rec.i] := rec.tid;
    END IF;
  END LOOP;
  END IF;

  -- 2. Lock the pending transactions that posts and voids target, in id order: one primary-key
  --    probe per distinct id, as for the accounts in step 3. "transaction_id IN (ids)" let the
  --    planner (custom plan, no statistics) scan the tenant's whole key range and hash it against
  --    the ids: every transaction the tenant ever made, read per batch (issue #18). Their ctids
  --    are kept: locked by us, the rows stay where they are, so the later reads and the update of
  --    these rows are TID scans, which no estimate can turn into a scan of the tenant's range.
  IF has_other THEN
  --    The locked rows are a materialised set joined to the items once (by hash): as a subquery
  --    the planner put that join inside the loop over the ids, which read all n items again for
  --    each id — n² rows, ~95 ms of a 500-post batch's ~250 (issue #18, session 17).
  FOR rec IN
    WITH t AS MATERIALIZED (
      SELECT lt.transaction_id, lt.status, lt.timeout_at, lt.posted_amounts, lt.metadata, lt.ctid
      FROM (SELECT DISTINCT y.id COLLATE "C" AS id FROM unnest(p_ops, p_ids) AS y(op, id)
            WHERE y.op <> 'create' ORDER BY 1) ids
      CROSS JOIN LATERAL (
        SELECT l.transaction_id, l.status, l.timeout_at, l.posted_amounts, l.metadata, l.ctid
        FROM ledger_transactions l
        WHERE l.tenant_id = p_tenant AND l.transaction_id = ids.id
        FOR UPDATE) lt)
    SELECT x.i, t.status AS st, t.timeout_at AS tmo, t.posted_amounts::text AS posted, t.metadata AS meta,
           t.ctid AS tid
    FROM unnest(p_ops, p_ids) WITH ORDINALITY AS x(op, id, i)
    JOIN t ON t.transaction_id = x.id
    WHERE x.op <> 'create'
  LOOP
    t_status[rec.i] := rec.st; t_timeout[rec.i] := rec.tmo; t_posted[rec.i] := rec.posted; t_meta[rec.i] := rec.meta;
    t_tid[rec.i] := rec.tid;
  END LOOP;
  END IF;

  -- Work legs for every item: given legs for creates, the target's legs for the others.
  IF NOT has_other THEN
    w_item := p_leg_item; w_srcid := p_leg_src; w_dstid := p_leg_dst; w_amt := p_leg_amount;
    w_cur := p_leg_currency; w_post := array_fill(NULL::bigint, ARRAY[coalesce(array_length(p_leg_item, 1), 0)]);
  ELSE
    SELECT array_agg(w.i ORDER BY w.i, w.ord), array_agg(w.src ORDER BY w.i, w.ord),
           array_agg(w.dst ORDER BY w.i, w.ord), array_agg(w.amt ORDER BY w.i, w.ord),
           array_agg(w.post ORDER BY w.i, w.ord), array_agg(w.cur ORDER BY w.i, w.ord)
    INTO w_item, w_srcid, w_dstid, w_amt, w_post, w_cur
    FROM (
      SELECT u.li AS i, u.k AS ord, u.s AS src, u.d AS dst, u.a AS amt, NULL::bigint AS post, u.c AS cur
      FROM unnest(p_leg_item, p_leg_src, p_leg_dst, p_leg_amount, p_leg_currency) WITH ORDINALITY
           AS u(li, s, d, a, c, k)
      JOIN unnest(p_ops) WITH ORDINALITY AS o(op, i) ON o.i = u.li AND o.op = 'create'
      UNION ALL
      SELECT x.i, l.ord, l.src, l.dst, l.amt,
             CASE WHEN x.op = 'post' THEN coalesce(rq.a, l.amt) ELSE 0 END, l.cur
      FROM unnest(p_ops, p_ids, t_status, t_tid) WITH ORDINALITY AS x(op, id, st, tid, i)
      JOIN ledger_transactions t ON t.ctid = x.tid AND t.transaction_id = x.id
      CROSS JOIN LATERAL unnest(t.leg_sources, t.leg_destinations, t.leg_amounts, t.leg_currencies)
           WITH ORDINALITY AS l(src, dst, amt, cur, ord)
      LEFT JOIN (
        SELECT u.li, row_number() OVER (PARTITION BY u.li ORDER BY u.k) AS ord, u.a
        FROM unnest(p_leg_item, p_leg_amount) WITH ORDINALITY AS u(li, a, k)
        JOIN unnest(p_ops) WITH ORDINALITY AS o(op, i) ON o.i = u.li AND o.op = 'post'
      ) rq ON rq.li = x.i AND rq.ord = l.ord
      WHERE x.op <> 'create' AND x.st = 'pending'
    ) w;
  END IF;

  -- 3. Lock every account touched, in id order, and load its balances. One primary-key probe per
  --    distinct id, in id order: the locking subquery is never flattened, so no plan can scan the
  --    tenant's whole account range and filter it against the ids (which the planner chose for
  --    "account_id = ANY (ids)" on a table without statistics: every account and its dead versions
  --    read per batch). Ids sort byte-wise, as the primary key orders them since migration 0012 (so
  --    the probes walk the index in order and the sort needs no strcoll); step 2 sorts the same way.
  acc_ids := w_srcid || w_dstid;
  SELECT array_agg(a.account_id), array_agg(a.currency), array_agg(a.flags), array_agg(a.credit_limit),
         array_agg(a.debits_pending), array_agg(a.debits_posted), array_agg(a.credits_pending),
         array_agg(a.credits_posted), array_agg(a.entry_seq), array_agg(a.last_entry_at), array_agg(a.ctid),
         max(greatest(a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted, a.credit_limit))
  INTO a_id, a_cur, a_flags, a_lim, a_dp, a_dpo, a_cp, a_cpo, a_seq, a_last, a_tid, a_max
  FROM (SELECT DISTINCT u.id COLLATE "C" AS id FROM unnest(acc_ids) AS u(id) ORDER BY 1) ids
  CROSS JOIN LATERAL (
    SELECT la.account_id, la.currency, la.flags, la.credit_limit, la.debits_pending, la.debits_posted,
           la.credits_pending, la.credits_posted, la.entry_seq, la.last_entry_at, la.ctid
    FROM ledger_accounts la
    WHERE la.tenant_id = p_tenant AND la.account_id = ids.id
    FOR NO KEY UPDATE
  ) a;

  -- Entries carry an analytics_seq (ADR 1200). Its column default calls analytics_next_seq(), a
  -- plpgsql function that takes the export's writer lock before each nextval: 2,000 calls per
  -- 1,000 transfers. Take the lock once here (through that same function, which knows the lock),
  -- then read the sequence directly per row: the lock is held to the end of the transaction.
  PERFORM analytics_next_seq();

  -- 4a. Fast path: running balances per account by window functions. If no leg fails a check, the
  --     result equals the sequential loop's: one statement then writes the entries and each
  --     account's final balances straight from the window (no arrays in between), and the loop is
  --     skipped. If a check fails, nothing is written and the loop decides. (An all-or-nothing batch
  --     with a conflicting key is aborted below, so it must not write here.)
  --     Running balances are bigint (ledger_running_sum, migration 0013), not numeric: no balance,
  --     limit or sum of two of them can pass 2^63 - 1 while every balance and limit plus everything
  --     the batch moves stays below 2^62. Batches near that bound take the loop, which checks
  --     overflow per item.
  --     Posts, voids and expiries take it too when every one of them targets a distinct pending,
  --     unexpired transaction and every posted amount is within its leg: then none of them can fail
  --     in the loop (only creates check limits, and a post or void never raises what a limit bounds),
  --     and each is one move per leg of -amount pending and +posted. A webhook round's 500 captures
  --     went through the loop's ~40 assignments per item: about half of ledger_apply's time there
  --     (issue #18, session 18). Anything else (a replay, an unknown or expired target) takes the loop.
  SELECT sum(abs(w.a::numeric)) + coalesce(sum(abs(w.p::numeric)), 0) INTO amt_abs
  FROM unnest(w_amt, w_post) AS w(a, p);
  IF has_other THEN
    SELECT NOT EXISTS (
             SELECT 1 FROM unnest(p_ops, t_status, t_timeout) AS x(op, st, tmo)
             WHERE x.op <> 'create'
               AND (x.st IS DISTINCT FROM 'pending' OR (x.op <> 'expire' AND x.tmo IS NOT NULL AND x.tmo <= p_now)))
           AND NOT EXISTS (
             SELECT 1 FROM unnest(w_item, w_amt, w_post) AS w(i, a, p)
             WHERE p_ops[w.i] = 'post' AND (w.p IS NULL OR w.p < 0 OR w.p > w.a))
           AND (SELECT count(*) = count(DISTINCT x.id) FROM unnest(p_ops, p_ids) AS x(op, id) WHERE x.op <> 'create')
    INTO fast_try;
  ELSE
    fast_try := true;
  END IF;
  IF fast_try AND coalesce(a_max, 0) + coalesce(amt_abs, 0) < 4611686018427387904
     AND NOT (p_atomic AND EXISTS (SELECT 1 FROM unnest(r_code) AS c WHERE c IS NOT NULL)) THEN
    WITH lg AS (
      SELECT u.k, u.i, u.s, u.d, u.a, u.p, u.c, row_number() OVER (PARTITION BY u.i ORDER BY u.k) AS leg
      FROM unnest(w_item, w_srcid, w_dstid, w_amt, w_post, w_cur) WITH ORDINALITY AS u(i, s, d, a, p, c, k)
    ), live AS (
      SELECT x.i, x.id,
             CASE x.op WHEN 'create' THEN CASE WHEN x.pend THEN 'hold' ELSE 'posted' END ELSE x.op END AS kind
      FROM unnest(p_ids, p_ops, p_pending, r_code, r_replayed) WITH ORDINALITY AS x(id, op, pend, code, rep, i)
      WHERE x.code IS NULL AND NOT x.rep
    ), mv AS (
      -- What the loop moves per leg: (pending, posted) deltas of the kind, on both sides.
      SELECT lg.k, lg.i, lg.leg, live.id, live.kind, m.side, lg.c,
             CASE live.kind WHEN 'hold' THEN lg.a WHEN 'posted' THEN 0 ELSE -lg.a END AS pd,
             CASE live.kind WHEN 'posted' THEN lg.a WHEN 'post' THEN lg.p ELSE 0 END AS pod,
             CASE m.side WHEN 'D' THEN lg.s ELSE lg.d END AS accid
      FROM lg JOIN live ON live.i = lg.i CROSS JOIN (VALUES ('D'), ('C')) AS m(side)
    ), acc AS (
      SELECT ac.idx::integer AS idx, ac.id, ac.cur, ac.fl, ac.lim, ac.dp, ac.dpo, ac.cp, ac.cpo, ac.seq, ac.last, ac.tid
      FROM unnest(a_id, a_cur, a_flags, a_lim, a_dp, a_dpo, a_cp, a_cpo, a_seq, a_last, a_tid) WITH ORDINALITY
           AS ac(id, cur, fl, lim, dp, dpo, cp, cpo, seq, last, tid, idx)
    ), run AS (
      SELECT mv.k, mv.i, mv.leg, mv.id, mv.kind, mv.side, mv.pd, mv.pod, mv.c, mv.accid,
             acc.cur AS acur, acc.fl, acc.lim, acc.tid,
             acc.dp + ledger_running_sum(CASE WHEN mv.side = 'D' THEN mv.pd ELSE 0 END) OVER w AS dp,
             acc.dpo + ledger_running_sum(CASE WHEN mv.side = 'D' THEN mv.pod ELSE 0 END) OVER w AS dpo,
             acc.cp + ledger_running_sum(CASE WHEN mv.side = 'C' THEN mv.pd ELSE 0 END) OVER w AS cp,
             acc.cpo + ledger_running_sum(CASE WHEN mv.side = 'C' THEN mv.pod ELSE 0 END) OVER w AS cpo,
             acc.seq + row_number() OVER w AS seq,
             greatest(p_now, acc.last) AS at,
             lead(mv.i) OVER w IS DISTINCT FROM mv.i AS item_last,
             lead(mv.k) OVER w IS NULL AS acc_last
      FROM mv LEFT JOIN acc ON acc.id = mv.accid
      -- Partitioned by the account's position in the lock order (integers sort faster than ids).
      WINDOW w AS (PARTITION BY acc.idx ORDER BY mv.k, mv.side DESC)
    ), chk AS (
      SELECT coalesce(bool_and(r.acur IS NOT NULL AND r.acur = r.c
               AND (NOT r.item_last OR r.kind NOT IN ('hold', 'posted') OR (
                 (r.fl & 1 = 0 OR r.dp + r.dpo <= r.cpo + r.lim) AND (r.fl & 2 = 0 OR r.cp + r.cpo <= r.dpo + r.lim)))),
               true) AS ok,
             count(*)::integer AS moves
      FROM run r
    ), upd AS (
      -- Each account's new state is its last entry's balances-after. The rows are locked by this
      -- transaction since step 3, so their ctids cannot change: a TID scan instead of an index descent.
      UPDATE ledger_accounts la
      SET debits_pending = r.dp, debits_posted = r.dpo, credits_pending = r.cp, credits_posted = r.cpo,
          entry_seq = r.seq, last_entry_at = r.at
      FROM run r, chk
      WHERE chk.ok AND r.acc_last AND la.ctid = r.tid
    ), ins AS (
      INSERT INTO ledger_entries (tenant_id, account_id, seq, transaction_id, leg, kind, side, currency,
        pending_delta, posted_delta, debits_pending, debits_posted, credits_pending, credits_posted, created_at,
        analytics_seq)
      SELECT p_tenant, r.accid, r.seq, r.id, r.leg, r.kind, r.side, r.c, r.pd, r.pod,
             r.dp, r.dpo, r.cp, r.cpo, r.at, nextval('analytics_seq_gen')
      FROM run r, chk
      WHERE chk.ok
    )
    SELECT chk.ok, chk.moves INTO fast_ok, ne FROM chk;
    IF fast_ok THEN
      FOR i IN 1 .. n LOOP
        IF r_code[i] IS NULL AND NOT r_replayed[i] THEN
          r_txn[i] := p_ids[i];
          r_status[i] := CASE p_ops[i] WHEN 'create' THEN CASE WHEN p_pending[i] THEN 'pending' ELSE 'posted' END
                                       WHEN 'post' THEN 'posted' WHEN 'void' THEN 'voided' ELSE 'expired' END;
        END IF;
      END LOOP;
    ELSE
      ne := 0;
    END IF;
  END IF;

  -- The loop's inputs: each leg's accounts as positions in the a_* arrays, each item's legs.
  IF NOT fast_ok THEN
    SELECT array_agg(coalesce(sa.idx, 0)::integer ORDER BY w.k), array_agg(coalesce(da.idx, 0)::integer ORDER BY w.k)
    INTO w_src, w_dst
    FROM unnest(w_srcid, w_dstid) WITH ORDINALITY AS w(s, d, k)
    LEFT JOIN unnest(a_id) WITH ORDINALITY AS sa(id, idx) ON sa.id = w.s
    LEFT JOIN unnest(a_id) WITH ORDINALITY AS da(id, idx) ON da.id = w.d;

    FOR l IN 1 .. coalesce(array_length(w_item, 1), 0) LOOP
      i := w_item[l];
      IF it_count[i] = 0 THEN it_start[i] := l; END IF;
      it_count[i] := it_count[i] + 1;
    END LOOP;
  END IF;

  -- 4b. Otherwise apply items in order against the in-memory balances.
  FOR i IN 1 .. n LOOP
    EXIT WHEN fast_ok;
    CONTINUE WHEN r_code[i] IS NOT NULL OR r_replayed[i];
    op := p_ops[i];
    IF op <> 'create' THEN
      IF t_status[i] IS NULL THEN
        r_code[i] := 'LEDGER_TRANSACTION_NOT_FOUND'; r_detail[i] := p_ids[i]; CONTINUE;
      END IF;
      IF t_status[i] <> 'pending' THEN
        req := NULL;
        IF op = 'post' AND t_status[i] = 'posted' THEN
          SELECT array_agg(coalesce(rq.a, 0) ORDER BY rq.k)::text INTO req
          FROM unnest(p_leg_item, p_leg_amount) WITH ORDINALITY AS rq(li, a, k) WHERE rq.li = i;
        END IF;
        IF (op = 'post' AND t_status[i] = 'posted' AND t_posted[i] IS NOT NULL
              AND (req IS NULL OR req = t_posted[i]))
           OR (op = 'void' AND t_status[i] = 'voided') OR (op = 'expire' AND t_status[i] = 'expired') THEN
          r_txn[i] := p_ids[i]; r_status[i] := t_status[i]; r_replayed[i] := true;
        ELSIF t_posted[i] IS NULL AND t_status[i] = 'posted' THEN
          r_code[i] := 'LEDGER_NOT_PENDING'; r_detail[i] := p_ids[i];
        ELSE
          r_code[i] := 'LEDGER_PENDING_ALREADY_' || upper(t_status[i]); r_detail[i] := p_ids[i];
        END IF;
        CONTINUE;
      END IF;
      IF op <> 'expire' AND t_timeout[i] IS NOT NULL AND t_timeout[i] <= p_now THEN
        r_code[i] := 'LEDGER_PENDING_EXPIRED'; r_detail[i] := p_ids[i]; CONTINUE;
      END IF;
    END IF;

    mark := ne; fail := NULL; detail := NULL;
    kind := CASE op WHEN 'create' THEN CASE WHEN p_pending[i] THEN 'hold' ELSE 'posted' END ELSE op END;
    FOR l IN it_start[i] .. it_start[i] + it_count[i] - 1 LOOP
      EXIT WHEN it_count[i] = 0;
      s := w_src[l]; d := w_dst[l]; amt := w_amt[l];
      IF s = 0 OR d = 0 THEN
        fail := 'LEDGER_ACCOUNT_NOT_FOUND'; detail := CASE WHEN s = 0 THEN w_srcid[l] ELSE w_dstid[l] END; EXIT;
      END IF;
      IF a_cur[s] <> w_cur[l] OR a_cur[d] <> w_cur[l] THEN
        fail := 'LEDGER_CURRENCY_MISMATCH';
        detail := CASE WHEN a_cur[s] <> w_cur[l] THEN a_id[s] ELSE a_id[d] END; EXIT;
      END IF;
      IF kind = 'hold' THEN pd := amt; pod := 0;
      ELSIF kind = 'posted' THEN pd := 0; pod := amt;
      ELSIF kind = 'post' THEN
        pd := -amt; pod := w_post[l];
        IF pod > amt OR pod < 0 THEN fail := 'LEDGER_POST_EXCEEDS_PENDING'; detail := l::text; EXIT; END IF;
      ELSE pd := -amt; pod := 0;
      END IF;
      IF (pd > 0 AND (a_dp[s] > max_amt - pd OR a_cp[d] > max_amt - pd))
         OR (pod > 0 AND (a_dpo[s] > max_amt - pod OR a_cpo[d] > max_amt - pod)) THEN
        fail := 'LEDGER_BALANCE_OVERFLOW'; detail := a_id[s]; EXIT;
      END IF;
      -- Debit the source, credit the destination; record each entry with the balances after it.
      a_dp[s] := a_dp[s] + pd; a_dpo[s] := a_dpo[s] + pod; a_seq[s] := a_seq[s] + 1;
      ne := ne + 1;
      e_acc[ne] := s; e_accid[ne] := a_id[s]; e_side[ne] := 'D'; e_seq[ne] := a_seq[s];
      e_at[ne] := greatest(p_now, a_last[s]);
      e_dp[ne] := a_dp[s]; e_dpo[ne] := a_dpo[s]; e_cp[ne] := a_cp[s]; e_cpo[ne] := a_cpo[s];
      e_txn[ne] := p_ids[i]; e_leg[ne] := l - it_start[i] + 1; e_kind[ne] := kind; e_cur[ne] := w_cur[l];
      e_pd[ne] := pd; e_pod[ne] := pod;
      a_cp[d] := a_cp[d] + pd; a_cpo[d] := a_cpo[d] + pod; a_seq[d] := a_seq[d] + 1;
      ne := ne + 1;
      e_acc[ne] := d; e_accid[ne] := a_id[d]; e_side[ne] := 'C'; e_seq[ne] := a_seq[d];
      e_at[ne] := greatest(p_now, a_last[d]);
      e_dp[ne] := a_dp[d]; e_dpo[ne] := a_dpo[d]; e_cp[ne] := a_cp[d]; e_cpo[ne] := a_cpo[d];
      e_txn[ne] := p_ids[i]; e_leg[ne] := l - it_start[i] + 1; e_kind[ne] := kind; e_cur[ne] := w_cur[l];
      e_pd[ne] := pd; e_pod[ne] := pod;
    END LOOP;

    -- Limits, checked on the final state of the item (only new debits/credits can break them).
    IF fail IS NULL AND op = 'create' THEN
      FOR l IN it_start[i] .. it_start[i] + it_count[i] - 1 LOOP
        s := w_src[l]; d := w_dst[l];
        IF a_flags[s] & 1 = 1 AND a_dp[s]::numeric + a_dpo[s] > a_cpo[s]::numeric + a_lim[s] THEN
          fail := 'LEDGER_INSUFFICIENT_FUNDS'; detail := a_id[s]; EXIT;
        END IF;
        IF a_flags[d] & 2 = 2 AND a_cp[d]::numeric + a_cpo[d] > a_dpo[d]::numeric + a_lim[d] THEN
          fail := 'LEDGER_INSUFFICIENT_FUNDS'; detail := a_id[d]; EXIT;
        END IF;
      END LOOP;
    END IF;

    IF fail IS NOT NULL THEN
      FOR e IN REVERSE ne .. mark + 1 LOOP
        x := e_acc[e];
        IF e_side[e] = 'D' THEN a_dp[x] := a_dp[x] - e_pd[e]; a_dpo[x] := a_dpo[x] - e_pod[e];
        ELSE a_cp[x] := a_cp[x] - e_pd[e]; a_cpo[x] := a_cpo[x] - e_pod[e]; END IF;
        a_seq[x] := a_seq[x] - 1;
      END LOOP;
      ne := mark;
      r_code[i] := fail; r_detail[i] := detail;
      IF op = 'create' THEN f_ids := f_ids || p_ids[i]; END IF;
    ELSE
      r_txn[i] := p_ids[i];
      r_status[i] := CASE kind WHEN 'hold' THEN 'pending' WHEN 'posted' THEN 'posted' WHEN 'post' THEN 'posted'
                               WHEN 'void' THEN 'voided' ELSE 'expired' END;
    END IF;
  END LOOP;

  -- 5. All-or-nothing batches: one failure undoes everything this call claimed.
  IF p_atomic AND EXISTS (SELECT 1 FROM generate_series(1, n) g WHERE r_code[g] IS NOT NULL) THEN
    DELETE FROM ledger_transactions lt WHERE lt.tenant_id = p_tenant AND lt.transaction_id = ANY (claimed);
    FOR i IN 1 .. n LOOP
      IF r_code[i] IS NULL AND NOT r_replayed[i] THEN
        r_code[i] := 'LEDGER_BATCH_ABORTED'; r_txn[i] := NULL; r_status[i] := NULL;
      END IF;
    END LOOP;
    RETURN QUERY SELECT r.g::integer, r.txn, r.st, r.rep, r.code, r.detail
    FROM unnest(r_txn, r_status, r_replayed, r_code, r_detail) WITH ORDINALITY AS r(txn, st, rep, code, detail, g);
    RETURN;
  END IF;

  -- 6. Write back, set-based.
  IF cardinality(f_ids) > 0 THEN
    DELETE FROM ledger_transactions lt WHERE lt.tenant_id = p_tenant AND lt.transaction_id = ANY (f_ids);
  END IF;

  IF has_other THEN
    UPDATE ledger_transactions lt
    SET status = x.st, resolved_at = p_now,
        posted_amounts = CASE WHEN x.op = 'post' THEN pa.amts END
    FROM unnest(p_ops, p_ids, r_status, r_code, r_replayed, t_tid) WITH ORDINALITY AS x(op, id, st, code, rep, tid, i)
    LEFT JOIN (
      SELECT w.i, array_agg(w.p ORDER BY w.k) AS amts
      FROM unnest(w_item, w_post) WITH ORDINALITY AS w(i, p, k) GROUP BY w.i
    ) pa ON pa.i = x.i
    WHERE x.op <> 'create' AND x.code IS NULL AND NOT x.rep
      AND lt.ctid = x.tid AND lt.tenant_id = p_tenant AND lt.transaction_id = x.id;
  END IF;

  IF ne > 0 AND NOT fast_ok THEN
    -- Each account's new state is its last entry's balances-after; the row by the ctid step 3 read.
    UPDATE ledger_accounts la
    SET debits_pending = v.dp, debits_posted = v.dpo, credits_pending = v.cp, credits_posted = v.cpo,
        entry_seq = v.seq, last_entry_at = v.at
    FROM (
      SELECT DISTINCT ON (u.acc) u.acc, a_tid[u.pos] AS tid, u.seq, u.dp, u.dpo, u.cp, u.cpo, u.at
      FROM unnest(e_accid[1:ne], e_acc[1:ne], e_seq[1:ne], e_dp[1:ne], e_dpo[1:ne], e_cp[1:ne], e_cpo[1:ne],
                  e_at[1:ne])
           AS u(acc, pos, seq, dp, dpo, cp, cpo, at)
      ORDER BY u.acc, u.seq DESC
    ) v
    WHERE la.ctid = v.tid AND la.tenant_id = p_tenant AND la.account_id = v.acc;

    INSERT INTO ledger_entries (tenant_id, account_id, seq, transaction_id, leg, kind, side, currency,
      pending_delta, posted_delta, debits_pending, debits_posted, credits_pending, credits_posted, created_at,
      analytics_seq)
    SELECT p_tenant, v.acc, v.seq, v.txn, v.leg, v.kind, v.side, v.cur, v.pd, v.pod,
           v.dp, v.dpo, v.cp, v.cpo, v.at, nextval('analytics_seq_gen')
    FROM unnest(e_accid[1:ne], e_seq[1:ne], e_txn[1:ne], e_leg[1:ne], e_kind[1:ne], e_side[1:ne], e_cur[1:ne],
                e_pd[1:ne], e_pod[1:ne], e_dp[1:ne], e_dpo[1:ne], e_cp[1:ne], e_cpo[1:ne], e_at[1:ne])
         AS v(acc, seq, txn, leg, kind, side, cur, pd, pod, dp, dpo, cp, cpo, at);

  END IF;

  -- 7. One event per applied step, in the same transaction (relayed after commit). Outbox rows
  --    need the transaction's xid before their seq (ADR 0101): take it once here and read the
  --    sequence directly, instead of the column default's function call per row.
  IF ne > 0 THEN
    IF NOT has_other AND coalesce(array_length(p_leg_item, 1), 0) = n THEN
      -- One leg per create (the common case): each item's legs without grouping.
      SELECT array_agg(jsonb_build_array(jsonb_build_object('source', u.s, 'destination', u.d,
               'amount', u.a::text, 'currency', u.c)) ORDER BY u.k)
      INTO legs_json
      FROM unnest(p_leg_src, p_leg_dst, p_leg_amount, p_leg_currency) WITH ORDINALITY AS u(s, d, a, c, k);
    ELSE
      SELECT array_agg(coalesce(lg.legs, '[]'::jsonb) ORDER BY o.i) INTO legs_json
      FROM unnest(p_ops) WITH ORDINALITY AS o(op, i)
      LEFT JOIN (
        SELECT w.i, jsonb_agg(jsonb_build_object('source', w.s, 'destination', w.d,
                 'amount', (CASE WHEN o.op = 'post' THEN w.p ELSE w.a END)::text, 'currency', w.c) ORDER BY w.k) AS legs
        FROM unnest(w_item, w_srcid, w_dstid, w_amt, w_post, w_cur) WITH ORDINALITY AS w(i, s, d, a, p, c, k)
        JOIN unnest(p_ops) WITH ORDINALITY AS o(op, i) ON o.i = w.i
        GROUP BY w.i
      ) lg ON lg.i = o.i;
    END IF;
    at_text := to_char(p_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    -- Event ids in the column default's shape (ms time, '7', 19 hex), built once per batch instead
    -- of a gen_random_uuid() per row (a CSPRNG call each, the costliest part of the insert): 7
    -- random hex per batch, then the row's outbox seq in 12 hex, which makes every id unique.
    evt_prefix := 'evt_' || lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
                  || '7' || substr(md5(gen_random_uuid()::text), 1, 7);
    PERFORM pg_current_xact_id(); -- the xid before any seq, even if no write came first
    INSERT INTO event_outbox (tenant_id, seq, event_id, topic, partition_key, payload)
    SELECT p_tenant, o.seq, evt_prefix || lpad(to_hex(o.seq), 12, '0'), o.topic, o.txn, o.payload
    FROM (
    SELECT nextval('event_outbox_seq_gen') AS seq, 'ledger.transaction.' || x.st || '.v1' AS topic, x.txn,
           jsonb_build_object('transactionId', x.txn, 'status', x.st, 'legs', x.legs,
             'metadata', coalesce(CASE WHEN x.op = 'create' THEN x.meta ELSE x.tmeta END, '{}'::jsonb),
             'at', at_text) AS payload
    FROM unnest(p_ops, r_txn, r_status, r_code, r_replayed, p_metadata, t_meta, legs_json) WITH ORDINALITY
         AS x(op, txn, st, code, rep, meta, tmeta, legs, i)
    WHERE x.code IS NULL AND NOT x.rep
    ORDER BY x.i
    ) o;
  END IF;

  RETURN QUERY SELECT r.g::integer, r.txn, r.st, r.rep, r.code, r.detail
    FROM unnest(r_txn, r_status, r_replayed, r_code, r_detail) WITH ORDINALITY AS r(txn, st, rep, code, detail, g);
END;
$fn$`
