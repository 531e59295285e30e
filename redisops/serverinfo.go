package redisops

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// identify reads product, version, role and cluster mode from one INFO call.
// A refused INFO leaves the details empty and says why.
func identify(ctx context.Context, node *redis.Client) ServerInfo {
	// Plain INFO (default sections) works on every version; several section
	// arguments need Redis 7.
	sections, err := node.InfoMap(ctx).Result()
	if err != nil {
		reason := Refusal(err)
		if reason == "" {
			reason = "failed: " + firstLine(err.Error())
		}
		return ServerInfo{InfoRefused: reason}
	}
	return serverInfoFrom(sections)
}

func serverInfoFrom(sections map[string]map[string]string) ServerInfo {
	server := sections["Server"]
	info := ServerInfo{Product: "redis", Version: server["redis_version"]}
	if server["server_name"] == "valkey" || server["valkey_version"] != "" {
		info.Product = "valkey"
		if v := server["valkey_version"]; v != "" {
			info.Version = v
		}
	}
	info.Role = sections["Replication"]["role"]
	info.Cluster = sections["Cluster"]["cluster_enabled"] == "1"
	return info
}
