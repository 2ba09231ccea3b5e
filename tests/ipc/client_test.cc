#include "ipc/client.h"

#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "ipc/ipc_test_util.h"
#include "ipc/protocol.h"
#include "ipc/server.h"
#include "ipc/socket_path.h"
#include "support/temp_dir.h"

namespace msearch::ipc {
namespace {

using msearch::ipc::testing::kWaitTimeout;
using msearch::ipc::testing::ServerRecorder;
using msearch::ipc::testing::WriteRaw;
using msearch::testing::TempDir;
using nlohmann::json;

constexpr std::chrono::milliseconds kTimeout = kWaitTimeout;

// A listening socket that accepts one connection and otherwise stays passive,
// so a test can send malformed frames or never read, which IpcServer never does.
class RawServer {
 public:
  explicit RawServer(const std::filesystem::path& path) {
    listen_ = FileDescriptor(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address = MakeUnixAddress(path);
    EXPECT_EQ(::bind(listen_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)),
              0);
    EXPECT_EQ(::listen(listen_.get(), 4), 0);
  }

  // Blocks until a client connects.
  int Accept() {
    peer_ = FileDescriptor(::accept(listen_.get(), nullptr, nullptr));
    return peer_.get();
  }

 private:
  FileDescriptor listen_;
  FileDescriptor peer_;
};

class IpcClientTest : public ::testing::Test {
 protected:
  void SetUp() override { PrepareSocketDir(socket_dir_); }

  std::filesystem::path socket_path() const { return socket_dir_ / kSocketFileName; }

  void StartServer() {
    IpcServer::Options options;
    options.socket_path = socket_path();
    server_ = std::make_unique<IpcServer>(options);
    recorder_.Install(*server_);
    server_->Start();
  }

  TempDir temp_;
  std::filesystem::path socket_dir_ = temp_ / "run";
  ServerRecorder recorder_;
  std::unique_ptr<IpcServer> server_;
};

TEST_F(IpcClientTest, ConnectTimesOutWithoutServer) {
  IpcClient client;
  try {
    client.Connect(socket_path(), std::chrono::milliseconds(100));
    FAIL() << "connected without a server";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find(socket_path().string()), std::string::npos) << message;
    EXPECT_NE(message.find("within 100 ms"), std::string::npos) << message;
  }
  EXPECT_FALSE(client.connected());
}

TEST_F(IpcClientTest, ConnectRetriesUntilServerStarts) {
  std::exception_ptr failure;
  std::thread connector([&] {
    try {
      IpcClient client;
      client.Connect(socket_path(), kTimeout);
      client.Send({{"type", "hello"}});
    } catch (...) {
      failure = std::current_exception();
    }
  });
  StartServer();
  connector.join();
  EXPECT_FALSE(failure);
  EXPECT_TRUE(recorder_.WaitFor([&] { return !recorder_.messages().empty(); }));
}

TEST_F(IpcClientTest, ReceiveTimesOut) {
  StartServer();
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  EXPECT_FALSE(client.Receive(std::chrono::milliseconds(0)).has_value());
  EXPECT_FALSE(client.Receive(std::chrono::milliseconds(20)).has_value());
  EXPECT_TRUE(client.connected());
}

TEST_F(IpcClientTest, WakeInterruptsIdleWait) {
  StartServer();
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  ConnectionId id = recorder_.WaitForConnection(1);
  ASSERT_NE(id, 0u);

  std::optional<json> received;
  std::thread worker([&] { received = client.Receive(std::chrono::seconds(60)); });
  ASSERT_TRUE(server_->Send(id, MakeWake({"embed"})));
  worker.join();
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ((*received)["type"], "wake");
  EXPECT_EQ((*received)["task_types"], json::array({"embed"}));
}

TEST_F(IpcClientTest, ShutdownUnblocksReceive) {
  StartServer();
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  bool closed = false;
  std::thread worker([&] {
    try {
      client.Receive(std::chrono::seconds(60));
    } catch (const ConnectionClosedError&) {
      closed = true;
    }
  });
  client.Shutdown();
  worker.join();
  EXPECT_TRUE(closed);
  EXPECT_FALSE(client.connected());
  EXPECT_THROW(client.Send(MakeShutdown()), ConnectionClosedError);
}

TEST_F(IpcClientTest, ConcurrentSendsKeepFramesWhole) {
  StartServer();
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  constexpr int kThreads = 4;
  constexpr int kMessages = 200;
  // Large enough that one frame needs several writes now and then.
  const std::string payload(20000, 'p');
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kMessages; ++i) {
        client.Send({{"type", "progress"}, {"thread", t}, {"seq", i}, {"payload", payload}});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  ASSERT_TRUE(recorder_.WaitFor(
      [&] { return recorder_.messages().size() == static_cast<size_t>(kThreads * kMessages); }));
  std::map<int, int> next_seq;
  for (const auto& [id, message] : recorder_.messages()) {
    int thread = message["thread"];
    EXPECT_EQ(message["seq"], next_seq[thread]) << "thread " << thread;
    next_seq[thread] = message["seq"].get<int>() + 1;
    EXPECT_EQ(message["payload"].get_ref<const std::string&>().size(), payload.size());
  }
  EXPECT_EQ(recorder_.DisconnectCount(), 0u);
}

TEST_F(IpcClientTest, SendRejectsInvalidMessage) {
  StartServer();
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  EXPECT_THROW(client.Send(json::array({1})), ProtocolError);
  EXPECT_THROW(client.Send({{"no_type", 1}}), ProtocolError);
  EXPECT_THROW(client.Send({{"type", "x"}, {"data", std::string(2 * 1024 * 1024, 'x')}}),
               ProtocolError);
  // Nothing was written, so the connection still works.
  client.Send({{"type", "ping"}, {"n", 3}});
  std::optional<json> reply = client.Receive(kTimeout);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ((*reply)["n"], 3);
}

TEST_F(IpcClientTest, ReceiveRejectsMalformedFrame) {
  RawServer server(socket_path());
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  int peer = server.Accept();
  ASSERT_GE(peer, 0);
  ASSERT_TRUE(WriteRaw(peer, "{\"type\":\"wake\"}\n{\"no_type\":true}\n"));

  std::optional<json> first = client.Receive(kTimeout);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)["type"], "wake");
  EXPECT_THROW(client.Receive(kTimeout), ProtocolError);
  EXPECT_FALSE(client.connected());
}

TEST_F(IpcClientTest, ReceiveReportsServerClose) {
  RawServer server(socket_path());
  IpcClient client;
  client.Connect(socket_path(), kTimeout);
  int peer = server.Accept();
  ASSERT_GE(peer, 0);
  ASSERT_TRUE(WriteRaw(peer, "{\"type\":\"shutdown\"}\n"));
  ::shutdown(peer, SHUT_WR);

  std::optional<json> message = client.Receive(kTimeout);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ((*message)["type"], "shutdown");
  EXPECT_THROW(client.Receive(kTimeout), ConnectionClosedError);
  EXPECT_FALSE(client.connected());
}

TEST_F(IpcClientTest, SendTimesOutWhenServerNotReading) {
  RawServer server(socket_path());
  IpcClient client(8 * 1024 * 1024);
  client.Connect(socket_path(), kTimeout);
  ASSERT_GE(server.Accept(), 0);

  // The server never reads, so the socket buffer fills and Send times out.
  json big = {{"type", "event"}, {"data", std::string(4 * 1024 * 1024, 'x')}};
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) client.Send(big, std::chrono::milliseconds(50));
      },
      Error);
  // Part of a frame was written, so the stream cannot continue.
  EXPECT_FALSE(client.connected());
}

}  // namespace
}  // namespace msearch::ipc
