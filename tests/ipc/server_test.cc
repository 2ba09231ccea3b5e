#include "ipc/server.h"

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "ipc/client.h"
#include "ipc/ipc_test_util.h"
#include "ipc/protocol.h"
#include "ipc/socket_path.h"
#include "support/temp_dir.h"

namespace msearch::ipc {
namespace {

using msearch::ipc::testing::ConnectRaw;
using msearch::ipc::testing::kWaitTimeout;
using msearch::ipc::testing::ServerRecorder;
using msearch::ipc::testing::WaitForPeerClose;
using msearch::ipc::testing::WriteRaw;
using msearch::testing::TempDir;
using nlohmann::json;

constexpr std::chrono::milliseconds kTimeout = kWaitTimeout;

// Sends a ping and expects the matching pong; returns the pong.
json PingPong(IpcClient& client, int n) {
  client.Send({{"type", "ping"}, {"n", n}});
  std::optional<json> reply = client.Receive(kTimeout);
  EXPECT_TRUE(reply.has_value()) << "no pong for ping " << n;
  if (!reply) return json();
  EXPECT_EQ((*reply)["type"], "pong");
  EXPECT_EQ((*reply)["n"], n);
  return *reply;
}

class IpcServerTest : public ::testing::Test {
 protected:
  IpcServer::Options DefaultOptions() {
    IpcServer::Options options;
    options.socket_path = socket_dir_ / kSocketFileName;
    return options;
  }

  void StartServer(IpcServer::Options options) {
    server_ = std::make_unique<IpcServer>(std::move(options));
    recorder_.Install(*server_);
    server_->Start();
  }
  void StartServer() { StartServer(DefaultOptions()); }

  std::filesystem::path socket_path() const { return socket_dir_ / kSocketFileName; }

  void SetUp() override { PrepareSocketDir(socket_dir_); }

  TempDir temp_;
  std::filesystem::path socket_dir_ = temp_ / "run";
  ServerRecorder recorder_;
  std::unique_ptr<IpcServer> server_;
};

TEST_F(IpcServerTest, SocketFileIsPrivate) {
  StartServer();
  struct stat info {};
  ASSERT_EQ(::lstat(socket_path().c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_EQ(info.st_uid, ::geteuid());
}

TEST_F(IpcServerTest, ThreadsAndChildProcess) {
  // The child starts before the server listens, so its Connect has to retry.
  // Forking before Start() also means no server thread exists in the child.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 0;
    try {
      IpcClient client;
      client.Connect(socket_path(), kTimeout);
      client.Send(MakeRegister("child", kProcessTaskWorker, ::getpid()));
      client.Send({{"type", "ping"}, {"n", 7}});
      std::optional<json> reply = client.Receive(kTimeout);
      if (!reply)
        code = 2;
      else if ((*reply)["n"] != 7)
        code = 3;
      else if ((*reply)["peer_pid"] != ::getpid())
        code = 4;
    } catch (const std::exception&) {
      code = 5;
    }
    ::_exit(code);
  }

  StartServer();
  constexpr int kThreads = 4;
  constexpr int kPings = 50;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      IpcClient client;
      client.Connect(socket_path(), kTimeout);
      for (int i = 0; i < kPings; ++i) {
        json pong = PingPong(client, t * 1000 + i);
        if (pong.value("peer_pid", -1) != ::getpid()) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;

  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  // The child's register message arrived with its pid.
  ASSERT_TRUE(recorder_.WaitFor([&] {
    for (const auto& [id, message] : recorder_.messages()) {
      if (message["type"] == "register") return true;
    }
    return false;
  }));
  bool found = false;
  for (const auto& [id, message] : recorder_.messages()) {
    if (message["type"] != "register") continue;
    found = true;
    EXPECT_EQ(message["pid"], child);
    EXPECT_EQ(message["process_id"], "child");
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(recorder_.WaitFor([&] { return recorder_.disconnected().size() == kThreads + 1; }));
}

TEST_F(IpcServerTest, MalformedMessageClosesOnlyThatConnection) {
  StartServer();
  IpcClient good;
  good.Connect(socket_path(), kTimeout);
  PingPong(good, 1);
  ASSERT_NE(recorder_.WaitForConnection(1), 0u);

  const std::vector<std::string> bad_lines = {"not json\n", "[1,2]\n", "{\"process_id\":\"w1\"}\n",
                                              "{\"type\":\"a\xff\"}\n", "{\"type\":42}\n"};
  for (size_t i = 0; i < bad_lines.size(); ++i) {
    SCOPED_TRACE(bad_lines[i]);
    FileDescriptor raw = ConnectRaw(socket_path());
    ConnectionId raw_id = recorder_.WaitForConnection(i + 2);
    ASSERT_NE(raw_id, 0u);
    // The valid message before the bad line is still delivered.
    ASSERT_TRUE(WriteRaw(raw.get(), "{\"type\":\"hello\"}\n" + bad_lines[i]));
    EXPECT_TRUE(WaitForPeerClose(raw.get()));
    EXPECT_TRUE(recorder_.WaitForDisconnect(raw_id));
    std::vector<json> received = recorder_.MessagesFrom(raw_id);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0]["type"], "hello");

    PingPong(good, static_cast<int>(i) + 2);
  }
  EXPECT_TRUE(good.connected());
}

TEST_F(IpcServerTest, OversizedMessageClosesConnection) {
  IpcServer::Options options = DefaultOptions();
  options.max_message_bytes = 1024;
  StartServer(options);
  IpcClient good(1024);
  good.Connect(socket_path(), kTimeout);
  ASSERT_NE(recorder_.WaitForConnection(1), 0u);

  // Exactly at the limit is accepted.
  json at_limit = {{"type", "big"}, {"pad", ""}};
  at_limit["pad"] = std::string(1024 - at_limit.dump().size(), 'x');
  ASSERT_EQ(at_limit.dump().size(), 1024u);
  good.Send(at_limit);
  PingPong(good, 1);
  ConnectionId good_id = recorder_.WaitForConnection(1);
  ASSERT_EQ(recorder_.MessagesFrom(good_id).size(), 2u);

  // Over the limit, the server closes the connection without waiting for a
  // newline.
  FileDescriptor raw = ConnectRaw(socket_path());
  ConnectionId raw_id = recorder_.WaitForConnection(2);
  ASSERT_NE(raw_id, 0u);
  ASSERT_TRUE(WriteRaw(raw.get(), "{\"type\":\"big\",\"pad\":\"" + std::string(2000, 'x')));
  EXPECT_TRUE(WaitForPeerClose(raw.get()));
  EXPECT_TRUE(recorder_.WaitForDisconnect(raw_id));
  EXPECT_TRUE(recorder_.MessagesFrom(raw_id).empty());

  PingPong(good, 2);
}

TEST_F(IpcServerTest, DropsClientThatStopsReading) {
  IpcServer::Options options = DefaultOptions();
  options.max_output_bytes = 256 * 1024;
  StartServer(options);

  IpcClient slow;
  slow.Connect(socket_path(), kTimeout);
  ConnectionId slow_id = recorder_.WaitForConnection(1);
  ASSERT_NE(slow_id, 0u);
  IpcClient good;
  good.Connect(socket_path(), kTimeout);

  // Fill the socket buffers and then the server's output queue. Send never
  // blocks, so the loop ends once the queue overflows.
  json big = {{"type", "event"}, {"name", "bulk"}, {"data", std::string(16 * 1024, 'x')}};
  int sent = 0;
  while (server_->Send(slow_id, big)) {
    ++sent;
    ASSERT_LT(sent, 100000) << "the server never dropped the client that does not read";
  }
  EXPECT_GT(sent, 0);
  EXPECT_TRUE(recorder_.WaitForDisconnect(slow_id));
  EXPECT_FALSE(server_->Send(slow_id, big));

  // The other client is unaffected.
  PingPong(good, 1);

  // The slow client can read what reached its socket, then gets ConnectionClosedError.
  int received = 0;
  bool closed = false;
  try {
    while (slow.Receive(kTimeout)) {
      if (++received > sent) break;
    }
  } catch (const ConnectionClosedError&) {
    closed = true;
  }
  EXPECT_TRUE(closed);
  EXPECT_LE(received, sent);
}

TEST_F(IpcServerTest, ReplacesStaleSocket) {
  {
    // A socket file whose server is gone: bound, then closed without unlink.
    FileDescriptor stale(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un address = MakeUnixAddress(socket_path());
    ASSERT_EQ(::bind(stale.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  }
  ASSERT_TRUE(std::filesystem::exists(socket_path()));

  StartServer();
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  PingPong(client, 1);
}

TEST_F(IpcServerTest, RejectsSecondServerOnLivePath) {
  StartServer();
  IpcServer second(DefaultOptions());
  try {
    second.Start();
    FAIL() << "second server started on a live socket";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("already listening"), std::string::npos) << message;
    EXPECT_NE(message.find(socket_path().string()), std::string::npos) << message;
  }
  EXPECT_FALSE(second.running());

  // The first server and its socket file are untouched.
  ASSERT_TRUE(std::filesystem::exists(socket_path()));
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  PingPong(client, 1);
}

TEST_F(IpcServerTest, RejectsNonSocketPath) {
  { std::ofstream(socket_path()) << "not a socket"; }
  IpcServer server(DefaultOptions());
  try {
    server.Start();
    FAIL() << "server replaced a regular file";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("not a socket"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(std::filesystem::is_regular_file(socket_path()));
}

TEST_F(IpcServerTest, RejectsPathTooLong) {
  IpcServer::Options options;
  options.socket_path = socket_dir_ / (std::string(120, 's') + ".sock");
  IpcServer server(options);
  try {
    server.Start();
    FAIL() << "server started on an over-long path";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("limited to 107 bytes"), std::string::npos) << message;
    EXPECT_NE(message.find("ipc.local_ipc.socket_path"), std::string::npos) << message;
  }
  IpcClient client;
  EXPECT_THROW(client.Connect(options.socket_path, kTimeout), Error);
}

TEST_F(IpcServerTest, RejectsOtherUid) {
  IpcServer::Options options = DefaultOptions();
  options.allowed_uid = ::geteuid() + 1;
  StartServer(options);
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  EXPECT_THROW(client.Receive(kTimeout), ConnectionClosedError);
  EXPECT_TRUE(server_->Connections().empty());
}

TEST_F(IpcServerTest, BroadcastWithPredicate) {
  StartServer();
  std::vector<std::unique_ptr<IpcClient>> clients;
  std::vector<ConnectionId> ids;
  for (size_t i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<IpcClient>());
    clients.back()->Connect(socket_path(), kTimeout);
    ids.push_back(recorder_.WaitForConnection(i + 1));
    ASSERT_NE(ids.back(), 0u);
  }

  ConnectionId skipped = ids[1];
  EXPECT_EQ(server_->Broadcast(MakeWake({"probe"}), [&](ConnectionId id) { return id != skipped; }),
            2u);
  EXPECT_EQ(server_->Broadcast(MakeShutdown()), 3u);

  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    std::optional<json> first = clients[i]->Receive(kTimeout);
    ASSERT_TRUE(first.has_value());
    // Messages arrive in order, so the skipped client sees shutdown first.
    EXPECT_EQ((*first)["type"], ids[i] == skipped ? "shutdown" : "wake");
    if (ids[i] != skipped) {
      EXPECT_EQ((*first)["task_types"], json::array({"probe"}));
      std::optional<json> second = clients[i]->Receive(kTimeout);
      ASSERT_TRUE(second.has_value());
      EXPECT_EQ((*second)["type"], "shutdown");
    }
  }
}

TEST_F(IpcServerTest, CloseFromServer) {
  StartServer();
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  ConnectionId id = recorder_.WaitForConnection(1);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(server_->Peer(id).has_value());
  EXPECT_EQ(server_->Peer(id)->pid, ::getpid());
  EXPECT_EQ(server_->Peer(id)->uid, ::geteuid());

  ASSERT_TRUE(server_->Send(id, MakeShutdown()));
  ASSERT_TRUE(server_->Close(id));
  // Output queued before Close() is still written.
  std::optional<json> message = client.Receive(kTimeout);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ((*message)["type"], "shutdown");
  EXPECT_THROW(client.Receive(kTimeout), ConnectionClosedError);
  EXPECT_TRUE(recorder_.WaitForDisconnect(id));
  EXPECT_FALSE(server_->Peer(id).has_value());
  EXPECT_FALSE(server_->Close(id));
}

TEST_F(IpcServerTest, StopFlushesAndRemovesSocket) {
  StartServer();
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  ConnectionId id = recorder_.WaitForConnection(1);
  ASSERT_NE(id, 0u);

  ASSERT_TRUE(server_->Send(id, MakeShutdown()));
  server_->Stop();
  EXPECT_FALSE(server_->running());
  EXPECT_FALSE(std::filesystem::exists(socket_path()));

  std::optional<json> message = client.Receive(kTimeout);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ((*message)["type"], "shutdown");
  EXPECT_THROW(client.Receive(kTimeout), ConnectionClosedError);
  EXPECT_FALSE(server_->Send(id, MakeShutdown()));

  // The same server starts again on the same path.
  server_->Start();
  IpcClient again;
  again.Connect(socket_path(), kTimeout);
  PingPong(again, 1);
}

TEST_F(IpcServerTest, StopKeepsSocketOfNewerServer) {
  StartServer();
  // Another server replaced the socket file (for example after this one was
  // presumed dead); stopping the old server must not remove the new file.
  std::filesystem::remove(socket_path());
  IpcServer newer(DefaultOptions());
  newer.Start();
  server_->Stop();
  EXPECT_TRUE(std::filesystem::exists(socket_path()));

  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  client.Send({{"type", "ping"}});
  newer.Stop();
  EXPECT_FALSE(std::filesystem::exists(socket_path()));
}

TEST_F(IpcServerTest, HandlerExceptionKeepsConnection) {
  IpcServer::Options options = DefaultOptions();
  server_ = std::make_unique<IpcServer>(options);
  server_->SetMessageHandler([this](ConnectionId id, const json& message) {
    if (message["type"] == "boom") throw std::runtime_error("handler failure");
    server_->Send(id, {{"type", "pong"}, {"n", message.value("n", 0)}});
  });
  server_->Start();

  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  client.Send({{"type", "boom"}});
  PingPong(client, 5);
}

TEST_F(IpcServerTest, StartTwiceThrows) {
  StartServer();
  EXPECT_THROW(server_->Start(), Error);
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  PingPong(client, 1);
}

}  // namespace
}  // namespace msearch::ipc
