/**
 * A track sold exclusively: an active exclusive license of the track `t` exists (the rule
 * issuing a license also holds: no license of any kind after it). As an SQL condition, for the
 * surfaces that must leave such a track out at read time (pack links).
 */
export const exclusiveSoldSql = (t: string): string =>
  `EXISTS (SELECT 1 FROM licenses xl WHERE xl.track_id = ${t}.id AND xl.type = 'exclusive' AND xl.status = 'active')`;
