// NetworkInspector: the side panel describing the open network and the selected layer
// (shapes, parameters, attributes). Like every view, it shows engine values only.
#pragma once

#include <QWidget>
#include <memory>

#include "engine/network.h"

class QLabel;

namespace tp {

class NetworkInspector : public QWidget {
    Q_OBJECT

  public:
    explicit NetworkInspector(QWidget* parent = nullptr);

    // `source` is what the network was opened from ("zoo:mcunet", a path); nullptr clears.
    void setNetwork(std::shared_ptr<const Network> network, const QString& source);
    void setCurrentOp(int opIndex);  // index into Network::ops; -1 shows no layer

  private:
    void showSummary(const QString& source);

    std::shared_ptr<const Network> network_;
    QLabel* summary_ = nullptr;
    QLabel* layerDetails_ = nullptr;
};

}  // namespace tp
