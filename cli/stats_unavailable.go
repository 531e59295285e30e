package cli

// explainNulls gives every null number of a stats sample its reason under
// "unavailable", so that a runbook reading null never has to guess
// whether it means zero, unsupported or not yet measured. Reasons the
// poller gave already are kept.
func explainNulls(s *nodeStatsJSON) {
	reasons := map[string]string{}
	infoWhy := s.Unavailable["info"]
	why := func(field string, null bool, reason string) {
		if !null || s.Unavailable[field] != "" {
			return
		}
		if infoWhy != "" {
			reason = "INFO failed on this node (see info)"
		}
		reasons[field] = reason
	}
	const rates = "a rate needs two INFO samples of the same server run one interval apart; the server restarted or its counters were reset (CONFIG RESETSTAT) in between"
	why("hit_rate", s.HitRate == nil, "no key reads (keyspace hits or misses) in the last interval: there is no ratio to give")
	why("hit_rate_total", s.HitRateTotal == nil, "no key reads (keyspace hits or misses) since the server started")
	why("evicted_keys_per_sec", s.EvictedPerSec == nil, rates)
	why("expired_keys_per_sec", s.ExpiredPerSec == nil, rates)
	why("net_in_bps", s.NetInBps == nil, rates)
	why("net_out_bps", s.NetOutBps == nil, rates)
	why("cpu_percent", s.CPUPercent == nil, "INFO cpu is not reported by this server, or "+rates)
	why("maxclients", s.MaxClients == nil, "CONFIG GET maxclients is not available to this user")
	if len(reasons) == 0 {
		return
	}
	if s.Unavailable == nil {
		s.Unavailable = map[string]string{}
	}
	for k, v := range reasons {
		s.Unavailable[k] = v
	}
}
